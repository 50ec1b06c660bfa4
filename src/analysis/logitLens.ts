/**
 * Logit lens: read the accumulated residual stream after the embedding and after each
 * layer through the unembedding, at one position, as TransformerLens's
 * `accumulated_resid` orders it (labels "0_pre", "1_pre", …, "final_post").
 *
 * Two readings, and the result says which (`mode`):
 *  - 'own-scale' (default, the usual "logit lens"): each layer's residual is normalised with
 *    its own LayerNorm scale, then ln_final's weight and bias when not folded, W_U and b_U.
 *    The last layer is then exactly the model's logits.
 *  - 'final-scale': TransformerLens `accumulated_resid(apply_ln=True)`: every layer centred
 *    and divided by the final layer's cached `ln_final.hook_scale`, times W_U without b_U
 *    (ln_final's weight, if unfolded, is applied as fold_ln would have folded it into W_U).
 */
import { blockHook, type HookName } from '../engine/hooks';
import type { Model } from '../engine/types';
import type { LogitLensLayer, LogitLensResult } from '../protocol/results';
import { encodePrompt, logSumExp, rankOf, resolvePos, singleTokenOf, topKIndices } from './testPrompt';

export type LensMode = LogitLensResult['mode'];

/** Unembed one residual vector: LN (own or given scale), optional ln_final affine, W_U, optional b_U. */
function unembed(model: Model, x: Float32Array, off: number, scale: number | null, withBias: boolean): Float64Array {
  const { dModel: d, eps } = model.cfg;
  const { W_U, b_U, lnFinal } = model.weights;
  const V = W_U.dims[1];
  let mean = 0;
  for (let i = 0; i < d; i++) mean += x[off + i];
  mean /= d;
  let s = scale;
  if (s === null) {
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[off + i] - mean) ** 2;
    s = Math.sqrt(v / d + eps);
  }
  const logits = new Float64Array(V);
  if (withBias) for (let j = 0; j < V; j++) logits[j] = b_U.data[j];
  for (let i = 0; i < d; i++) {
    let y = (x[off + i] - mean) / s;
    if (lnFinal) y = y * lnFinal.w.data[i] + (withBias ? lnFinal.b.data[i] : 0);
    const row = i * V;
    for (let j = 0; j < V; j++) logits[j] += y * W_U.data[row + j];
  }
  return logits;
}

export async function logitLens(
  model: Model,
  opts: { prompt: string; pos?: number; tokens?: string[]; mode?: LensMode; topK?: number; prependBos?: boolean; signal?: AbortSignal },
): Promise<LogitLensResult> {
  const mode: LensMode = opts.mode ?? 'own-scale';
  const { nLayers, dModel: d } = model.cfg;
  const tokens = encodePrompt(model, opts.prompt, opts.prependBos);
  const T = tokens.length;
  const pos = resolvePos(opts.pos ?? -1, T, '--pos');
  const tracked = (opts.tokens ?? []).map((t) => ({ text: t, id: singleTokenOf(model, t, 'tracked token') }));

  const stages: { label: string; hook: HookName }[] = [];
  for (let l = 0; l < nLayers; l++) stages.push({ label: `${l}_pre`, hook: blockHook(l, 'hook_resid_pre') });
  stages.push({ label: 'final_post', hook: blockHook(nLayers - 1, 'hook_resid_post') });
  const out = await model.run({ tokens: [tokens], cache: [...stages.map((s) => s.hook), 'ln_final.hook_scale'], output: { kind: 'none' }, signal: opts.signal });
  const finalScale = out.cache.get('ln_final.hook_scale');
  if (!finalScale) throw new Error('the engine did not return ln_final.hook_scale');

  const layers: LogitLensLayer[] = stages.map((stage) => {
    const resid = out.cache.get(stage.hook);
    if (!resid) throw new Error(`the engine did not return ${stage.hook}`);
    const logits = mode === 'own-scale' ? unembed(model, resid.data, pos * d, null, true) : unembed(model, resid.data, pos * d, finalScale.data[pos], false);
    const lse = logSumExp(logits);
    const layer: LogitLensLayer = {
      label: stage.label,
      top: topKIndices(logits, opts.topK ?? 10).map((id) => ({ token: model.tokenizer.decode([id]), id, prob: Math.exp(logits[id] - lse) })),
      tracked: {},
    };
    for (const t of tracked) layer.tracked[t.text] = { rank: rankOf(logits, t.id), prob: Math.exp(logits[t.id] - lse) };
    return layer;
  });
  return { mode, pos, strTokens: model.tokenizer.strTokens(tokens), layers };
}
