/**
 * Direct logit attribution (DLA) at the answer position, with TransformerLens's semantics:
 *
 *   decompose_resid     final residual = hook_embed + hook_pos_embed + Σ_L (attn_out + mlp_out)
 *   stack_head_results  head h of layer L writes z[h] @ W_O[h] (without b_O: b_O belongs to
 *                       the layer's attn_out piece, not to any head)
 *   apply_ln_to_stack   centre each piece over d_model and divide by the run's cached
 *                       ln_final.hook_scale (the LayerNorm is linear once the scale is frozen)
 *
 * Each piece is dotted with the logit-difference direction W_U[:, answer] − W_U[:, wrong].
 * Σ pieces + (b_U[answer] − b_U[wrong]) is then exactly the logit difference. With weight
 * processing off ln_final keeps its weight and bias: the weight is folded into the direction
 * (w ⊙ Δ) and the bias joins the bias term (b · Δ), so the sum stays exact either way.
 * Values are means over the prompts.
 */
import { blockHook, type HookName } from '../engine/hooks';
import type { Tensor } from '../engine/tensor';
import type { Model } from '../engine/types';
import type { DlaResult } from '../protocol/results';

/** One prompt of a DLA: tokens (BOS included if wanted) and the two token ids compared. */
export interface DlaPrompt {
  tokens: number[];
  answer: number;
  wrong: number;
}

/** The logit-difference direction in the residual stream (ln_final weight folded in) and the constant term. */
export function logitDiffDirection(model: Model, answer: number, wrong: number): { dir: Float64Array; bias: number } {
  const { W_U, b_U, lnFinal } = model.weights;
  const d = model.cfg.dModel;
  const V = W_U.dims[1];
  const dir = new Float64Array(d);
  let bias = b_U.data[answer] - b_U.data[wrong];
  for (let i = 0; i < d; i++) {
    const delta = W_U.data[i * V + answer] - W_U.data[i * V + wrong];
    dir[i] = lnFinal ? lnFinal.w.data[i] * delta : delta;
    if (lnFinal) bias += lnFinal.b.data[i] * delta;
  }
  return { dir, bias };
}

/** apply_ln_to_stack for one vector, then the dot with `dir`: Σ (x − mean x) · dir / scale. */
export function lnDot(x: ArrayLike<number>, offset: number, dir: Float64Array, scale: number): number {
  const d = dir.length;
  let mean = 0;
  for (let i = 0; i < d; i++) mean += x[offset + i];
  mean /= d;
  let s = 0;
  for (let i = 0; i < d; i++) s += (x[offset + i] - mean) * dir[i];
  return s / scale;
}

/**
 * What head h writes to the residual stream, stack_head_results' z[h] @ W_O[h] (without b_O),
 * into `into` [d]: `z` holds hook_z, `zOff` the offset of this head's d_head values.
 */
export function headWrite(z: ArrayLike<number>, zOff: number, W_O: Float32Array /* [H, dh, d] */, h: number, dHead: number, into: Float64Array): Float64Array {
  const d = into.length;
  into.fill(0);
  for (let k = 0; k < dHead; k++) {
    const zv = z[zOff + k];
    const wOff = (h * dHead + k) * d;
    for (let i = 0; i < d; i++) into[i] += zv * W_O[wOff + i];
  }
  return into;
}

/** Prompts grouped by token count: rows of one batch must share a length, so each length runs as one batch. */
export function byLength<P extends { tokens: readonly number[] }>(prompts: readonly P[]): Map<number, P[]> {
  const groups = new Map<number, P[]>();
  for (const p of prompts) groups.set(p.tokens.length, [...(groups.get(p.tokens.length) ?? []), p]);
  return groups;
}

/** Component hooks in decompose_resid order, with their labels. */
export function residComponents(model: Model): { label: string; hook: HookName }[] {
  const out: { label: string; hook: HookName }[] = [{ label: 'embed', hook: 'hook_embed' }];
  if (model.cfg.positional === 'standard') out.push({ label: 'pos_embed', hook: 'hook_pos_embed' });
  for (let l = 0; l < model.cfg.nLayers; l++) {
    out.push({ label: `${l} attn`, hook: blockHook(l, 'hook_attn_out') });
    out.push({ label: `${l} mlp`, hook: blockHook(l, 'hook_mlp_out') });
  }
  return out;
}

function get(cache: Map<HookName, Tensor>, hook: HookName): Tensor {
  const t = cache.get(hook);
  if (!t) throw new Error(`the engine did not return ${hook}`);
  return t;
}

export async function directLogitAttribution(
  model: Model,
  prompts: readonly DlaPrompt[],
  opts: { signal?: AbortSignal; strTokens?: string[]; onProgress?: (done: number, total: number) => void } = {},
): Promise<DlaResult> {
  if (prompts.length === 0) throw new Error('directLogitAttribution: no prompts');
  const { nLayers, nHeads, dHead, dModel: d } = model.cfg;
  const comps = residComponents(model);
  const zHooks = Array.from({ length: nLayers }, (_, l) => blockHook(l, 'attn.hook_z'));
  const hooks: HookName[] = [...comps.map((c) => c.hook), ...zHooks, 'ln_final.hook_scale'];
  const layerSum = new Float64Array(comps.length);
  const headSum = new Float64Array(nLayers * nHeads);
  let totalSum = 0;
  let actualSum = 0;
  let biasSum = 0;

  let done = 0;
  for (const [T, group] of byLength(prompts)) {
    const pos = T - 1;
    const out = await model.run({ tokens: group.map((p) => p.tokens), cache: hooks, output: { kind: 'logits', positions: [pos] }, signal: opts.signal });
    if (!out.logits) throw new Error('the engine returned no logits');
    const scale = get(out.cache, 'ln_final.hook_scale');
    group.forEach((p, b) => {
      const { dir, bias } = logitDiffDirection(model, p.answer, p.wrong);
      const s = scale.data[b * T + pos];
      let total = bias;
      comps.forEach((c, i) => {
        const v = lnDot(get(out.cache, c.hook).data, (b * T + pos) * d, dir, s);
        layerSum[i] += v;
        total += v;
      });
      const head = new Float64Array(d);
      for (let l = 0; l < nLayers; l++) {
        const z = get(out.cache, zHooks[l]).data; // [B, T, H, dh]
        const W_O = model.weights.blocks[l].W_O.data; // [H, dh, d]
        for (let h = 0; h < nHeads; h++) {
          headWrite(z, ((b * T + pos) * nHeads + h) * dHead, W_O, h, dHead, head);
          headSum[l * nHeads + h] += lnDot(head, 0, dir, s);
        }
      }
      const logits = out.logits!;
      const V = logits.dims[logits.dims.length - 1];
      actualSum += logits.data[b * V + p.answer] - logits.data[b * V + p.wrong];
      totalSum += total;
      biasSum += bias;
    });
    done += group.length;
    opts.onProgress?.(done, prompts.length);
  }
  const n = prompts.length;
  return {
    layers: { labels: comps.map((c) => c.label), values: Array.from(layerSum, (v) => v / n) },
    heads: { dims: [nLayers, nHeads], values: Array.from(headSum, (v) => v / n) },
    total: totalSum / n,
    actual: actualSum / n,
    biasTerm: biasSum / n,
    strTokens: opts.strTokens ?? model.tokenizer.strTokens(prompts[0].tokens),
  };
}
