/**
 * Hook points, named exactly as TransformerLens names them, as template-literal types
 * rather than free strings (so `blocks.0.attn.hook_zz` does not compile).
 *
 * Shapes (B = batch, T = positions, H = heads, dh = d_head, d = d_model):
 *   hook_embed, hook_pos_embed                  [B, T, d]
 *   blocks.L.hook_resid_pre|mid|post            [B, T, d]
 *   blocks.L.ln1.hook_scale, ln2.hook_scale     [B, T, 1]
 *   blocks.L.attn.hook_q|k|v|z                  [B, T, H, dh]
 *   blocks.L.attn.hook_attn_scores|hook_pattern [B, H, T, T]   (query, key)
 *   blocks.L.hook_attn_out, hook_mlp_out        [B, T, d]
 *   blocks.L.mlp.hook_pre|hook_post             [B, T, d_mlp]
 *   ln_final.hook_scale                         [B, T, 1]
 * GPT-NeoX (parallel attention + MLP) has no hook_resid_mid, as in TransformerLens.
 */
export type BlockHookSuffix =
  | 'hook_resid_pre'
  | 'hook_resid_mid'
  | 'hook_resid_post'
  | 'ln1.hook_scale'
  | 'ln2.hook_scale'
  | 'attn.hook_q'
  | 'attn.hook_k'
  | 'attn.hook_v'
  | 'attn.hook_z'
  | 'attn.hook_attn_scores'
  | 'attn.hook_pattern'
  | 'hook_attn_out'
  | 'mlp.hook_pre'
  | 'mlp.hook_post'
  | 'hook_mlp_out';

export type GlobalHookName = 'hook_embed' | 'hook_pos_embed' | 'ln_final.hook_scale';
export type BlockHookName = `blocks.${number}.${BlockHookSuffix}`;
export type HookName = GlobalHookName | BlockHookName;

export const BLOCK_HOOK_SUFFIXES: readonly BlockHookSuffix[] = [
  'hook_resid_pre',
  'ln1.hook_scale',
  'attn.hook_q',
  'attn.hook_k',
  'attn.hook_v',
  'attn.hook_attn_scores',
  'attn.hook_pattern',
  'attn.hook_z',
  'hook_attn_out',
  'hook_resid_mid',
  'ln2.hook_scale',
  'mlp.hook_pre',
  'mlp.hook_post',
  'hook_mlp_out',
  'hook_resid_post',
];

export function blockHook(layer: number, suffix: BlockHookSuffix): BlockHookName {
  return `blocks.${layer}.${suffix}`;
}

const BLOCK_RE = /^blocks\.(\d+)\.(.+)$/;

/** Parses a hook name typed by a user; throws a one-line error naming it when unknown. */
export function parseHookName(name: string, nLayers: number, parallelAttnMlp = false): { layer: number | null; suffix: string; name: HookName } {
  if (name === 'hook_embed' || name === 'hook_pos_embed' || name === 'ln_final.hook_scale') {
    return { layer: null, suffix: name, name };
  }
  const m = BLOCK_RE.exec(name);
  if (m && (BLOCK_HOOK_SUFFIXES as readonly string[]).includes(m[2])) {
    const layer = Number(m[1]);
    if (layer >= nLayers) throw new Error(`unknown hook "${name}": the model has ${nLayers} layers (0..${nLayers - 1})`);
    if (parallelAttnMlp && m[2] === 'hook_resid_mid') throw new Error(`unknown hook "${name}": this model runs attention and MLP in parallel and has no resid_mid`);
    return { layer, suffix: m[2], name: name as HookName };
  }
  throw new Error(`unknown hook "${name}": expected hook_embed, hook_pos_embed, ln_final.hook_scale or blocks.L.<${BLOCK_HOOK_SUFFIXES.join('|')}>`);
}

/** All hook names of a model, in forward order. */
export function allHookNames(nLayers: number, parallelAttnMlp: boolean, rotary: boolean): HookName[] {
  const out: HookName[] = ['hook_embed'];
  if (!rotary) out.push('hook_pos_embed');
  for (let l = 0; l < nLayers; l++) {
    for (const s of BLOCK_HOOK_SUFFIXES) {
      if (parallelAttnMlp && s === 'hook_resid_mid') continue;
      out.push(blockHook(l, s));
    }
  }
  out.push('ln_final.hook_scale');
  return out;
}
