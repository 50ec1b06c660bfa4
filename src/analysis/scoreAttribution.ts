/**
 * Attention score attribution: which upstream components make head L.H attend from a query
 * position to a key position. With the other side fixed, the attention score is a linear
 * function of the residual stream on this side (the LayerNorm is linear once its cached
 * scale is frozen), so it splits exactly over the pieces of that residual:
 *
 *   resid_pre[L] = hook_embed + hook_pos_embed + Σ_{l<L} (Σ_h z_h @ W_O[h] + b_O + mlp_out)
 *
 * Key side (the query vector fixed): score = u · k(x) with u = R_kᵀ rot(q, q_pos) / √d_head,
 * k(x) = (centre(x) / s ⊙ w₁ + b₁) W_K[h] + b_K[h] (R = the rotary rotation at a position;
 * identity for learned positions; w₁, b₁ = ln1's affine part, gone once fold_ln folded it).
 * So piece c contributes centre(c) / s · (w₁ ⊙ W_K[h] u), and (b₁ W_K[h] + b_K[h]) · u is the
 * constant from the fixed side. The query side is the same with q and k swapped.
 *
 * The pieces plus the constant sum to the score the model computes (hook_attn_scores):
 * the check shown with the result. This is the key-side / query-side component breakdown
 * of attention scores used to study negative name mover heads. Values are means over the
 * prompts.
 */
import { UserError } from '../engine/errors';
import { blockHook, type HookName } from '../engine/hooks';
import type { Tensor } from '../engine/tensor';
import type { Model } from '../engine/types';
import type { ScoreAttributionResult } from '../protocol/results';
import { byLength, headWrite, lnDot } from './attribution';
import { rotate } from './rotary';

export type ScoreSide = ScoreAttributionResult['side'];

/** One prompt: its tokens and the (absolute) query and key positions of the score. */
export interface ScorePrompt {
  tokens: number[];
  query: number;
  key: number;
}

/**
 * A position as a user gives it: an index (negative counts from the end), or a token
 * string whose first occurrence is meant (`answer` / `wrong` name the prompt's own).
 */
export type PositionRef = number | string;

/** Resolves `ref` in one prompt; one-line errors name the prompt and show its tokens. */
export function resolvePosition(
  ref: PositionRef,
  prompt: { label: string; tokens: readonly number[]; strTokens: readonly string[]; answer?: number; wrong?: number },
  tokenId: (text: string) => number,
): number {
  const T = prompt.tokens.length;
  const shown = () => prompt.strTokens.map((s, i) => `${i}:${JSON.stringify(s)}`).join(' ');
  if (typeof ref === 'number') {
    if (!Number.isInteger(ref) || ref >= T || ref < -T) throw new UserError(`position ${ref} is outside ${prompt.label}, which has ${T} tokens: ${shown()}`);
    return ref < 0 ? T + ref : ref;
  }
  let id: number;
  if (ref === 'answer' || ref === 'wrong') {
    const v = ref === 'answer' ? prompt.answer : prompt.wrong;
    if (v === undefined || v < 0) throw new UserError(`${prompt.label} has no "${ref}" token to find`);
    id = v;
  } else {
    id = tokenId(ref);
  }
  const at = prompt.tokens.indexOf(id);
  if (at < 0) throw new UserError(`${ref === 'answer' || ref === 'wrong' ? `the ${ref} token` : `token ${JSON.stringify(ref)}`} does not occur in ${prompt.label}: ${shown()}`);
  return at;
}

function get(cache: Map<HookName, Tensor>, hook: HookName): Tensor {
  const t = cache.get(hook);
  if (!t) throw new Error(`the engine did not return ${hook}`);
  return t;
}

/** Row `[b, t, h]` of a [B, T, H, dh] tensor as float64. */
function headRow(t: Tensor, b: number, pos: number, h: number): Float64Array {
  const [, T, H, dh] = t.dims;
  const off = ((b * T + pos) * H + h) * dh;
  return Float64Array.from(t.data.subarray(off, off + dh));
}

export async function attentionScoreAttribution(
  model: Model,
  prompts: readonly ScorePrompt[],
  opts: { layer: number; head: number; side: ScoreSide; signal?: AbortSignal; strTokens?: string[]; onProgress?: (done: number, total: number) => void },
): Promise<ScoreAttributionResult> {
  if (prompts.length === 0) throw new Error('attentionScoreAttribution: no prompts');
  const { cfg } = model;
  const { nLayers, nHeads: H, dHead: dh, dModel: d } = cfg;
  const { layer: L, head, side } = opts;
  if (!Number.isInteger(L) || !Number.isInteger(head) || L < 0 || L >= nLayers || head < 0 || head >= H) {
    throw new UserError(`head ${L}.${head} does not exist: the model has ${nLayers} layers × ${H} heads`);
  }
  for (const [i, p] of prompts.entries()) {
    if (p.key > p.query) throw new UserError(`prompt ${i + 1}: the key position ${p.key} comes after the query position ${p.query}; a causal head cannot attend forward`);
  }
  const standardPos = cfg.positional === 'standard';
  const hooks: HookName[] = ['hook_embed', ...(standardPos ? (['hook_pos_embed'] as HookName[]) : [])];
  for (let l = 0; l < L; l++) hooks.push(blockHook(l, 'attn.hook_z'), blockHook(l, 'hook_attn_out'), blockHook(l, 'hook_mlp_out'));
  hooks.push(blockHook(L, 'ln1.hook_scale'), blockHook(L, 'attn.hook_q'), blockHook(L, 'attn.hook_k'), blockHook(L, 'attn.hook_attn_scores'), blockHook(L, 'attn.hook_pattern'));

  const w = model.weights.blocks[L];
  const W = side === 'key' ? w.W_K : w.W_Q; // [H, d, dh]
  const bW = side === 'key' ? w.b_K : w.b_Q; // [H, dh]
  const comp = new Float64Array(L * (H + 1));
  let embedSum = 0;
  let posSum = 0;
  let attnBiasSum = 0;
  let otherBiasSum = 0;
  let totalSum = 0;
  let actualSum = 0;
  let patternSum = 0;

  let done = 0;
  const head64 = new Float64Array(d);
  for (const [T, group] of byLength(prompts)) {
    const out = await model.run({ tokens: group.map((p) => p.tokens), cache: hooks, output: { kind: 'none' }, signal: opts.signal });
    const scale = get(out.cache, blockHook(L, 'ln1.hook_scale'));
    const qT = get(out.cache, blockHook(L, 'attn.hook_q'));
    const kT = get(out.cache, blockHook(L, 'attn.hook_k'));
    const scores = get(out.cache, blockHook(L, 'attn.hook_attn_scores')); // [B, H, T, T]
    const pattern = get(out.cache, blockHook(L, 'attn.hook_pattern'));
    group.forEach((p, b) => {
      // The fixed side's vector, rotated to its own position, then back by this side's rotation.
      const here = side === 'key' ? p.key : p.query;
      const fixed = side === 'key' ? rotate(headRow(qT, b, p.query, head), p.query, cfg, 1) : rotate(headRow(kT, b, p.key, head), p.key, cfg, 1);
      const u = rotate(fixed, here, cfg, -1).map((v) => v / Math.sqrt(dh));
      // map = w₁ ⊙ (W[h] u) in the residual stream; the constant = (b₁ W[h] + b[h]) · u.
      const map = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        let s = 0;
        const off = (head * d + i) * dh;
        for (let k = 0; k < dh; k++) s += W.data[off + k] * u[k];
        map[i] = s;
      }
      let other = 0;
      for (let k = 0; k < dh; k++) other += bW.data[head * dh + k] * u[k];
      if (w.ln1) {
        for (let i = 0; i < d; i++) other += w.ln1.b.data[i] * map[i];
        for (let i = 0; i < d; i++) map[i] *= w.ln1.w.data[i];
      }
      const s = scale.data[b * T + here];
      const at = (b * T + here) * d;
      const embed = lnDot(get(out.cache, 'hook_embed').data, at, map, s);
      const pos = standardPos ? lnDot(get(out.cache, 'hook_pos_embed').data, at, map, s) : 0;
      let total = embed + pos + other;
      let attnBias = 0;
      for (let l = 0; l < L; l++) {
        const z = get(out.cache, blockHook(l, 'attn.hook_z')).data; // [B, T, H, dh]
        const W_O = model.weights.blocks[l].W_O.data; // [H, dh, d]
        let heads = 0;
        for (let h = 0; h < H; h++) {
          const v = lnDot(headWrite(z, ((b * T + here) * H + h) * dh, W_O, h, dh, head64), 0, map, s);
          comp[l * (H + 1) + h] += v;
          heads += v;
        }
        // attn_out = Σ heads + b_O: what the heads do not account for is the bias.
        const attnOut = lnDot(get(out.cache, blockHook(l, 'hook_attn_out')).data, at, map, s);
        const mlp = lnDot(get(out.cache, blockHook(l, 'hook_mlp_out')).data, at, map, s);
        comp[l * (H + 1) + H] += mlp;
        attnBias += attnOut - heads;
        total += attnOut + mlp;
      }
      embedSum += embed;
      posSum += pos;
      attnBiasSum += attnBias;
      otherBiasSum += other;
      totalSum += total;
      const sIdx = ((b * H + head) * T + p.query) * T + p.key;
      actualSum += scores.data[sIdx];
      patternSum += pattern.data[sIdx];
    });
    done += group.length;
    opts.onProgress?.(done, prompts.length);
  }
  const n = prompts.length;
  return {
    layer: L,
    head,
    side,
    queryPos: prompts[0].query,
    keyPos: prompts[0].key,
    components: { dims: [L, H + 1], values: Array.from(comp, (v) => v / n) },
    embed: embedSum / n,
    posEmbed: standardPos ? posSum / n : null,
    attnBias: attnBiasSum / n,
    otherBias: otherBiasSum / n,
    total: totalSum / n,
    actual: actualSum / n,
    pattern: patternSum / n,
    prompts: n,
    strTokens: opts.strTokens ?? model.tokenizer.strTokens(prompts[0].tokens),
  };
}
