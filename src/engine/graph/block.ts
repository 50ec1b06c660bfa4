/**
 * One ONNX graph per transformer block, weights as initializers. Input `resid_pre_in`
 * [batch, pos, d_model]; outputs every hook of the block under its TransformerLens name
 * (fetch only the ones needed at run time), each patchable (see patch.ts).
 * LayerNorm is built from primitive ops so that hook_scale exists.
 *
 * Prefix reuse: `past_k` / `past_v` [batch, past, H, dh] are the keys and values (hook_k /
 * hook_v, pre-rotary as TransformerLens caches them) of the `past` positions before the
 * ones in `resid_pre_in`, taken from an earlier run. Causal attention means those
 * positions cannot see the new ones, so a run that changes nothing before position P0
 * computes only positions ≥ P0 and attends to the cached keys/values for the rest.
 * The new positions get absolute positions past..past+pos-1 (rotary angles, causal mask).
 * A normal run feeds empty [batch, 0, H, dh] tensors: one graph serves both.
 */
import { BLOCK_HOOK_SUFFIXES, blockHook, type BlockHookSuffix } from '../hooks';
import type { BlockWeights, LayerNormWeights, ModelConfig } from '../weights';
import { GraphBuilder, type Dim } from './builder';
import { patchableHook } from './patch';

export const BLOCK_RESID_INPUT = 'resid_pre_in';
export const BLOCK_PAST_K_INPUT = 'past_k';
export const BLOCK_PAST_V_INPUT = 'past_v';

const B = 'batch';
const T = 'pos';
/** Keys: the past positions and then the computed ones. */
const TK = 'key_pos';

/** TransformerLens LayerNorm (or LNPre when folded): exposes hook_scale, patchable. */
export function layerNormGraph(g: GraphBuilder, x: string, ln: LayerNormWeights, eps: number, scaleHook: string, prefix: string): string {
  const mean = g.reduceMean(x, [-1]);
  const xc = g.sub(x, mean);
  const variance = g.reduceMean(g.mul(xc, xc), [-1]);
  const scale = patchableHook(g, scaleHook, g.sqrt(g.add(variance, g.scalar(eps))), [B, T, 1]);
  const y = g.div(xc, scale);
  if (!ln) return y;
  return g.add(g.mul(y, g.initializer(`${prefix}.w`, ln.w)), g.initializer(`${prefix}.b`, ln.b));
}

/** W [H, d, dh] → [d, H*dh] so one MatMul gives all heads (column h*dh + j = W[h, :, j]). */
function headsToColumns(W: Float32Array, H: number, d: number, dh: number): Float32Array {
  const out = new Float32Array(H * d * dh);
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < d; i++) {
      out.set(W.subarray((h * d + i) * dh, (h * d + i + 1) * dh), i * H * dh + h * dh);
    }
  }
  return out;
}

/** cos and signed sin tables [nCtx, 1, rotaryDim] in GPT-NeoX rotate_half layout. */
export function rotaryTables(cfg: ModelConfig): { cos: Float32Array; sin: Float32Array } {
  const rd = cfg.rotaryDim;
  const half = rd / 2;
  const cos = new Float32Array(cfg.nCtx * rd);
  const sin = new Float32Array(cfg.nCtx * rd);
  for (let p = 0; p < cfg.nCtx; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p / Math.pow(cfg.rotaryBase, i / half);
      cos[p * rd + i] = cos[p * rd + half + i] = Math.cos(angle);
      // rotate_half(x) = [-x2, x1]; we multiply [x2, x1] by [-sin, sin] instead.
      sin[p * rd + i] = -Math.sin(angle);
      sin[p * rd + half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

function rotary(g: GraphBuilder, x: string, cfg: ModelConfig, cos: string, sin: string): string {
  const rd = cfg.rotaryDim;
  const half = rd / 2;
  const axis3 = g.int64([3]);
  const part = (from: number, to: number) => g.slice(x, g.int64([from]), g.int64([to]), axis3);
  const xr = rd === cfg.dHead ? x : part(0, rd);
  const swapped = g.concat([part(half, rd), part(0, half)], 3);
  const y = g.add(g.mul(xr, cos), g.mul(swapped, sin));
  return rd === cfg.dHead ? y : g.concat([y, part(rd, cfg.dHead)], 3);
}

function activation(g: GraphBuilder, x: string, act: ModelConfig['act']): string {
  switch (act) {
    case 'relu':
      return g.relu(x);
    case 'gelu': // exact: 0.5 x (1 + erf(x / √2))
      return g.mul(g.mul(x, g.scalar(0.5)), g.add(g.scalar(1), g.erf(g.div(x, g.scalar(Math.SQRT2)))));
    case 'gelu_new': {
      // TransformerLens gelu_new: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))
      const x3 = g.mul(g.mul(x, x), x);
      const inner = g.mul(g.scalar(Math.sqrt(2 / Math.PI)), g.add(x, g.mul(g.scalar(0.044715), x3)));
      return g.mul(g.mul(g.scalar(0.5), x), g.add(g.scalar(1), g.tanh(inner)));
    }
  }
}

export function buildBlockGraph(cfg: ModelConfig, w: BlockWeights, layer: number): Uint8Array {
  const { dModel: d, nHeads: H, dHead: dh, dMlp: dm } = cfg;
  const g = new GraphBuilder(`block${layer}`);
  const hook = (s: BlockHookSuffix) => blockHook(layer, s);
  const P = (s: BlockHookSuffix, v: string, dims: readonly Dim[]) => patchableHook(g, hook(s), v, dims);
  const resid: Dim[] = [B, T, d];
  const heads: Dim[] = [B, T, H, dh];
  const attnDims: Dim[] = [B, H, T, TK];

  const residPre = P('hook_resid_pre', g.input(BLOCK_RESID_INPUT, 'float', resid), resid);
  const pastK = g.input(BLOCK_PAST_K_INPUT, 'float', [B, 'past', H, dh]);
  const pastV = g.input(BLOCK_PAST_V_INPUT, 'float', [B, 'past', H, dh]);

  // Attention.
  const x1 = layerNormGraph(g, residPre, w.ln1, cfg.eps, hook('ln1.hook_scale'), 'ln1');
  const proj = (name: string, W: Float32Array, b: Float32Array) =>
    g.reshape(g.add(g.matMul(x1, g.initializer(`W_${name}`, { dims: [d, H * dh], data: headsToColumns(W, H, d, dh) })), g.initializer(`b_${name}`, { dims: [H * dh], data: b })), [0, 0, H, dh]);
  let q = P('attn.hook_q', proj('Q', w.W_Q.data, w.b_Q.data), heads);
  const k = P('attn.hook_k', proj('K', w.W_K.data, w.b_K.data), heads);
  const v = P('attn.hook_v', proj('V', w.W_V.data, w.b_V.data), heads);
  let kAll = g.concat([pastK, k], 1);
  const vAll = g.concat([pastV, v], 1);
  const tq = g.shape(residPre, 1, 2);
  const past = g.shape(pastK, 1, 2);
  const tk = g.add(past, tq);
  if (cfg.positional === 'rotary') {
    const tables = rotaryTables(cfg);
    const cosT = g.initializer('rotary_cos', { dims: [cfg.nCtx, 1, cfg.rotaryDim], data: tables.cos });
    const sinT = g.initializer('rotary_sin', { dims: [cfg.nCtx, 1, cfg.rotaryDim], data: tables.sin });
    const rows = (t: string, from: string) => g.slice(t, from, tk, g.int64([0]));
    q = rotary(g, q, cfg, rows(cosT, past), rows(sinT, past));
    kAll = rotary(g, kAll, cfg, rows(cosT, g.int64([0])), rows(sinT, g.int64([0])));
  }
  const raw = g.div(g.matMul(g.transpose(q, [0, 2, 1, 3]), g.transpose(kAll, [0, 2, 3, 1])), g.scalar(Math.sqrt(dh)));
  // Causal mask: query i (absolute position past+i) sees keys j ≤ past+i, the lower triangle
  // of ones [pos, key_pos] with diagonal offset `past`; masked scores are -inf as in TransformerLens.
  const ones = g.constantOfShape(g.concat([tq, tk], 0), 1);
  const causal = g.castBool(g.node('Trilu', [ones, g.reshape(past, [])], { upper: 0 }));
  const scores = P('attn.hook_attn_scores', g.where(causal, raw, g.scalar(-Infinity)), attnDims);
  const pattern = P('attn.hook_pattern', g.softmax(scores, -1), attnDims);
  const zHeadsFirst = g.matMul(pattern, g.transpose(vAll, [0, 2, 1, 3]));
  const z = P('attn.hook_z', g.transpose(zHeadsFirst, [0, 2, 1, 3]), heads);
  // Σ_h z[h] @ W_O[h] is one MatMul of z flattened to [.., H*dh] with W_O as [H*dh, d].
  const attnOut = P(
    'hook_attn_out',
    g.add(g.matMul(g.reshape(z, [0, 0, H * dh]), g.initializer('W_O', { dims: [H * dh, d], data: w.W_O.data })), g.initializer('b_O', w.b_O)),
    resid,
  );

  // MLP: reads resid_mid (sequential) or resid_pre (parallel, GPT-NeoX).
  let mlpIn = residPre;
  let residMid: string | null = null;
  if (!cfg.parallelAttnMlp) {
    residMid = P('hook_resid_mid', g.add(residPre, attnOut), resid);
    mlpIn = residMid;
  }
  const x2 = layerNormGraph(g, mlpIn, w.ln2, cfg.eps, hook('ln2.hook_scale'), 'ln2');
  const pre = P('mlp.hook_pre', g.add(g.matMul(x2, g.initializer('W_in', w.W_in)), g.initializer('b_in', w.b_in)), [B, T, dm]);
  const post = P('mlp.hook_post', activation(g, pre, cfg.act), [B, T, dm]);
  const mlpOut = P('hook_mlp_out', g.add(g.matMul(post, g.initializer('W_out', w.W_out)), g.initializer('b_out', w.b_out)), resid);
  const sum = residMid ? g.add(residMid, mlpOut) : g.add(g.add(residPre, attnOut), mlpOut);
  P('hook_resid_post', sum, resid);
  return g.build();
}

/** Block hooks of this model, in forward order (no resid_mid when attention and MLP are parallel). */
export function blockHookSuffixes(cfg: ModelConfig): BlockHookSuffix[] {
  return BLOCK_HOOK_SUFFIXES.filter((s) => !(cfg.parallelAttnMlp && s === 'hook_resid_mid'));
}

/** Rank of a hook's activation: attention hooks are 4-D, the rest [batch, pos, *]. */
export function hookRank(suffix: string): number {
  return suffix.startsWith('attn.') ? 4 : 3;
}
