/**
 * Head ablation: knock heads out by replacing their `hook_z` and measure the change in
 * per-token cross-entropy loss over a prompt or a long text (the way the seed notebooks
 * find where a head matters: ablated − clean loss per token, largest first).
 *
 *   zero      z of the head set to 0
 *   mean      z replaced by its mean over every position of the text (all windows)
 *   resample  z at each position replaced by z at a random position (seeded) of another
 *             window of the text, or of the same window when there is only one
 *
 * Long text is split into context-sized windows, each starting with BOS; position i
 * predicts token i+1 within its window.
 */
import { UserError } from '../engine/errors';
import { blockHook, type BlockHookName } from '../engine/hooks';
import { tensor, type Tensor } from '../engine/tensor';
import type { Model, Patch } from '../engine/types';
import type { AblateResult } from '../protocol/results';
import { mulberry32 } from '../engine/random';
import { parseHeads, type HeadRef } from './heads';
import { logSumExp } from './testPrompt';

export type AblationMode = AblateResult['mode'];

/** The text's tokens as windows of at most nCtx tokens, BOS first in each. */
export function textWindows(model: Model, text: string, nCtx = model.cfg.nCtx): { tokens: number[]; offset: number }[] {
  const ids = model.tokenizer.encode(text, { prependBos: false });
  if (ids.length === 0) throw new UserError('the text to ablate over is empty');
  const size = nCtx - 1;
  const out: { tokens: number[]; offset: number }[] = [];
  for (let off = 0; off < ids.length; off += size) out.push({ tokens: [model.tokenizer.bosTokenId, ...ids.slice(off, off + size)], offset: off });
  return out;
}

/** Loss of predicting token t+1 at each position t: [T−1]. */
function perTokenLoss(logits: Tensor, tokens: readonly number[]): Float64Array {
  const V = logits.dims[logits.dims.length - 1];
  const T = tokens.length;
  const loss = new Float64Array(T - 1);
  for (let t = 0; t < T - 1; t++) {
    const row = logits.data.subarray(t * V, (t + 1) * V);
    loss[t] = logSumExp(row) - row[tokens[t + 1]];
  }
  return loss;
}

/** Every layer's hook_z value [1, T, H, dh] to patch in, for one window. */
type ValueFor = (layer: number, window: number, T: number) => Tensor;

function ablationValues(model: Model, mode: AblationMode, zs: Map<number, Tensor>[], seed: number): ValueFor {
  const { nHeads, dHead } = model.cfg;
  const hd = nHeads * dHead;
  if (mode === 'zero') return (_l, _w, T) => tensor([1, T, nHeads, dHead]);
  if (mode === 'mean') {
    const means = new Map<number, Float32Array>();
    for (const layer of zs[0].keys()) {
      const sum = new Float64Array(hd);
      let count = 0;
      for (const w of zs) {
        const z = w.get(layer)!;
        const T = z.dims[1];
        for (let t = 0; t < T; t++) for (let i = 0; i < hd; i++) sum[i] += z.data[t * hd + i];
        count += T;
      }
      means.set(layer, Float32Array.from(sum, (v) => v / count));
    }
    return (layer, _w, T) => {
      const v = tensor([1, T, nHeads, dHead]);
      for (let t = 0; t < T; t++) v.data.set(means.get(layer)!, t * hd);
      return v;
    };
  }
  const rand = mulberry32(seed);
  return (layer, w, T) => {
    const v = tensor([1, T, nHeads, dHead]);
    for (let t = 0; t < T; t++) {
      let src = w;
      if (zs.length > 1) {
        src = Math.floor(rand() * (zs.length - 1));
        if (src >= w) src++;
      }
      const z = zs[src].get(layer)!;
      const Ts = z.dims[1];
      let ts = Math.floor(rand() * Ts);
      if (src === w && Ts > 1 && ts === t) ts = (ts + 1) % Ts;
      v.data.set(z.data.subarray(ts * hd, (ts + 1) * hd), t * hd);
    }
    return v;
  };
}

export async function ablateHeads(
  model: Model,
  opts: {
    heads: string | readonly string[] | HeadRef[];
    prompt?: string;
    text?: string;
    mode?: AblationMode;
    topK?: number;
    seed?: number;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<AblateResult> {
  const mode = opts.mode ?? 'zero';
  if (!['zero', 'mean', 'resample'].includes(mode)) throw new UserError(`unknown ablation mode "${mode}": expected zero, mean or resample`);
  const heads: HeadRef[] = typeof opts.heads === 'string' || typeof (opts.heads as unknown[])[0] === 'string' ? parseHeads(opts.heads as string | string[], model.cfg) : (opts.heads as HeadRef[]);
  const source = opts.text ?? opts.prompt;
  if (source === undefined) throw new UserError('nothing to ablate over: give --prompt or --text-file');
  const windows = textWindows(model, source);
  const { nHeads, dHead } = model.cfg;
  const layers = [...new Set(heads.map((h) => h.layer))].sort((a, b) => a - b);
  const zHooks = new Map<number, BlockHookName>(layers.map((l) => [l, blockHook(l, 'attn.hook_z')]));
  const total = windows.length * 2;

  // Clean pass: loss, and the heads' z for mean/resample values.
  const clean: Float64Array[] = [];
  const zs: Map<number, Tensor>[] = [];
  for (const [w, win] of windows.entries()) {
    const out = await model.run({ tokens: [win.tokens], cache: mode === 'zero' ? [] : [...zHooks.values()], output: { kind: 'logits' }, signal: opts.signal });
    clean.push(perTokenLoss(out.logits!, win.tokens));
    zs.push(new Map(layers.map((l) => [l, out.cache.get(zHooks.get(l)!)!])));
    opts.onProgress?.(w + 1, total);
  }
  const valueFor = ablationValues(model, mode, zs, opts.seed ?? 0);

  const perToken: AblateResult['perToken'] = [];
  let sumClean = 0;
  let sumAblated = 0;
  for (const [w, win] of windows.entries()) {
    const T = win.tokens.length;
    const patches: Patch[] = layers.map((l) => {
      const mask = tensor([1, 1, nHeads, 1]);
      for (const h of heads) if (h.layer === l) mask.data[h.head] = 1;
      return { hook: zHooks.get(l)!, value: valueFor(l, w, T), source: Int32Array.of(0), mask };
    });
    const out = await model.run({ tokens: [win.tokens], patches, output: { kind: 'logits' }, signal: opts.signal });
    const ablated = perTokenLoss(out.logits!, win.tokens);
    const str = model.tokenizer.strTokens(win.tokens);
    for (let t = 0; t < T - 1; t++) {
      perToken.push({ pos: win.offset + t, token: str[t], next: str[t + 1], lossClean: clean[w][t], lossAblated: ablated[t], delta: ablated[t] - clean[w][t] });
      sumClean += clean[w][t];
      sumAblated += ablated[t];
    }
    opts.onProgress?.(windows.length + w + 1, total);
  }
  if (perToken.length === 0) throw new UserError('the text is a single token: there is nothing to predict');

  // Context for the top tokens: up to 12 tokens before the predicted one, then [next].
  const flat = windows.flatMap((win) => win.tokens.slice(0, -1).map((_, t) => ({ win, t })));
  const order = perToken.map((_, i) => i).sort((a, b) => perToken[b].delta - perToken[a].delta);
  const topTokens = order.slice(0, opts.topK ?? 10).map((i) => {
    const { win, t } = flat[i];
    const before = model.tokenizer.decode(win.tokens.slice(Math.max(1, t - 11), t + 1));
    const p = perToken[i];
    return { pos: p.pos, token: p.token, next: p.next, delta: p.delta, context: `${before}[${p.next}]` };
  });
  const n = perToken.length;
  return { heads: heads.map((h) => `${h.layer}.${h.head}`), mode, lossClean: sumClean / n, lossAblated: sumAblated / n, perToken, topTokens };
}
