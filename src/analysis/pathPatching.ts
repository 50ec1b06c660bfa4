/**
 * Path patching (IOI paper, appendix B; the ARENA exercises): how much of the behaviour
 * flows from a sender head to chosen receivers through one path only.
 *
 * Two inputs: the *orig* input (our clean prompts) and the *new* input (our corrupted
 * prompts). For each sender head (l, h) in a layer before the earliest receiver:
 *   step 1  run orig with the sender's hook_z taken from the new run and every other
 *           attention head's hook_z frozen to its orig value (MLPs are recomputed, so
 *           the sender's change reaches the receivers directly and through MLPs only);
 *           record the receivers' input (hook_q, hook_k or hook_v) at their heads;
 *   step 2  run orig with only those receiver inputs patched in; measure the logit
 *           difference.
 * Receiver 'resid' is the sender's direct effect on the logits: its change in output
 * (z_new − z_orig) @ W_O added to the orig final residual stream, then ln_final with the
 * scale recomputed for the changed residual, then the two unembedding columns.
 *
 * Value per sender: (patched − clean) / (clean − corrupted) of the mean logit difference:
 * 0 = the path carries nothing, −1 = the path alone carries the whole clean−corrupted
 * difference.
 *
 * Rows of a batch are (sender head, prompt) pairs of one sender layer; each group starts
 * at the sender's layer from the cached orig resid_pre (earlier layers are unchanged).
 */
import { UserError } from '../engine/errors';
import { blockHook } from '../engine/hooks';
import type { BlockHookName, HookName } from '../engine/hooks';
import { tensor } from '../engine/tensor';
import type { Tensor } from '../engine/tensor';
import type { Model, Patch } from '../engine/types';
import type { Progress } from '../protocol/ops';
import type { PathPatchResult } from '../protocol/results';
import { lnDot, logitDiffDirection } from './attribution';
import { parseHeads } from './heads';
import { logitDiff, mean, normalisedMetric } from './metrics';
import { promptPairs } from './patching';
import type { PatchingPromptSet } from './patching';
import { DEFAULT_MEMORY_BUDGET_MB, baselineRun, cached, columnLogits, columnsOutput, copyRow, rowsPerChunk } from './sweep';
import type { AnswerTargets } from './sweep';

export type ReceiverInput = PathPatchResult['receiverInput'];

export interface PathPatchOptions {
  /** Receiver heads as [layer, head] or "layer.head"; ignored for receiverInput 'resid'. */
  receivers: readonly (string | readonly [number, number])[];
  receiverInput: ReceiverInput;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  memoryBudgetMB?: number;
}

/** The orig and new runs' caches that path patching reads. */
export interface PathPatchRuns {
  orig: number[][];
  origCache: Map<HookName, Tensor>;
  newCache: Map<HookName, Tensor>;
  targets: AnswerTargets;
}

const INPUT_SUFFIX = { q: 'attn.hook_q', k: 'attn.hook_k', v: 'attn.hook_v' } as const;

/** The receiver heads as [layer, head], checked against the model (empty for 'resid'). */
export function receiverHeads(model: Model, opts: Pick<PathPatchOptions, 'receivers' | 'receiverInput'>): [number, number][] {
  const { nLayers, nHeads } = model.cfg;
  if (!['q', 'k', 'v', 'resid'].includes(opts.receiverInput)) {
    throw new UserError(`unknown receiver input "${opts.receiverInput}": expected q, k, v or resid`);
  }
  if (opts.receiverInput === 'resid') return [];
  if (opts.receivers.length === 0) throw new UserError('path patching: give at least one receiver head (layer.head) for receiver input q, k or v');
  return opts.receivers.map((r): [number, number] => {
    if (typeof r === 'string') {
      const [{ layer, head }] = parseHeads([r], model.cfg);
      return [layer, head];
    }
    const [l, h] = r;
    if (!(Number.isInteger(l) && l >= 0 && l < nLayers && Number.isInteger(h) && h >= 0 && h < nHeads)) {
      throw new UserError(`path patching: receiver ${l}.${h} is not a head of this model (layers 0..${nLayers - 1}, heads 0..${nHeads - 1})`);
    }
    return [l, h];
  });
}

/** Number of sender layers: those before the earliest receiver (all layers for 'resid'). */
export function senderLayers(model: Model, opts: Pick<PathPatchOptions, 'receivers' | 'receiverInput'>): number {
  const heads = receiverHeads(model, opts);
  if (opts.receiverInput === 'resid') return model.cfg.nLayers;
  const first = Math.min(...heads.map(([l]) => l));
  if (first === 0) throw new UserError('path patching: a receiver in layer 0 has no sender heads before it');
  return first;
}

/** Hooks the orig and new runs must cache. */
export function pathPatchHooks(model: Model): HookName[] {
  const L = model.cfg.nLayers;
  const hooks: HookName[] = [blockHook(L - 1, 'hook_resid_post')];
  for (let l = 0; l < L; l++) hooks.push(blockHook(l, 'attn.hook_z'), blockHook(l, 'hook_resid_pre'));
  return hooks;
}

/** A [B, 1, H, 1] mask with `heads` set on every row. */
function headMask(B: number, H: number, heads: Iterable<number>): Tensor {
  const m = tensor([B, 1, H, 1]);
  for (const h of heads) for (let b = 0; b < B; b++) m.data[b * H + h] = 1;
  return m;
}

/** orig resid_pre at `layer`, one row per batch row. */
function origResid(runs: PathPatchRuns, layer: number, prompts: Int32Array): Tensor {
  const src = cached(runs.origCache, blockHook(layer, 'hook_resid_pre'), 'orig');
  const out = tensor([prompts.length, src.dims[1], src.dims[2]]);
  prompts.forEach((p, b) => copyRow(src, p, out.data, b));
  return out;
}

/** Steps 1 and 2 for one batch of (sender head, prompt) rows of one sender layer: the logit difference per row. */
async function patchBatch(model: Model, runs: PathPatchRuns, layer: number, heads: Int32Array, prompts: Int32Array, opts: PathPatchOptions): Promise<Float64Array> {
  const { nLayers: L, nHeads: H } = model.cfg;
  const B = prompts.length;
  const tokens = Array.from(prompts, (p) => runs.orig[p]);
  // Step 1: the sender's z from the new run; every later layer's z frozen to orig.
  const senderMask = tensor([B, 1, H, 1]);
  heads.forEach((h, b) => (senderMask.data[b * H + h] = 1));
  const patches: Patch[] = [{ hook: blockHook(layer, 'attn.hook_z'), value: cached(runs.newCache, blockHook(layer, 'attn.hook_z'), 'new'), source: prompts, mask: senderMask }];
  const all = [...Array(H).keys()];
  for (let m = layer + 1; m < L; m++) {
    const hook = blockHook(m, 'attn.hook_z');
    patches.push({ hook, value: cached(runs.origCache, hook, 'orig'), source: prompts, mask: headMask(B, H, all) });
  }
  const suffix = INPUT_SUFFIX[opts.receiverInput as 'q' | 'k' | 'v'];
  const byLayer = new Map<number, number[]>();
  for (const [l, h] of receiverHeads(model, opts)) byLayer.set(l, [...(byLayer.get(l) ?? []), h]);
  const receiverHooks: BlockHookName[] = [...byLayer.keys()].map((l) => blockHook(l, suffix));
  const step1 = await model.run({ tokens, startLayer: layer, startResid: origResid(runs, layer, prompts), patches, cache: receiverHooks, output: { kind: 'none' }, signal: opts.signal });
  // Step 2: orig, with only the receivers' inputs replaced by what step 1 recorded (one value row per batch row).
  const rows = Int32Array.from(prompts.keys());
  const first = Math.min(...byLayer.keys());
  const step2Patches: Patch[] = [...byLayer].map(([l, hs]) => ({
    hook: blockHook(l, suffix),
    value: cached(step1.cache, blockHook(l, suffix), 'step 1'),
    source: rows,
    mask: headMask(B, H, hs),
  }));
  const step2 = await model.run({ tokens, startLayer: first, startResid: origResid(runs, first, prompts), patches: step2Patches, output: columnsOutput(runs.targets, prompts), signal: opts.signal });
  return logitDiff(columnLogits(step2.logits));
}

/**
 * Receiver 'resid', computed from the caches (no forward pass): for prompt p, the logit
 * difference after adding (z_new − z_orig)[answer pos, h] @ W_O[l, h] to the orig final
 * residual and applying ln_final with the recomputed scale.
 */
function directEffect(model: Model, runs: PathPatchRuns, layer: number, head: number, p: number): number {
  const { nLayers: L, nHeads: H, dHead: dh, dModel: d, eps } = model.cfg;
  const t = runs.targets.answerPos[p];
  const resid = cached(runs.origCache, blockHook(L - 1, 'hook_resid_post'), 'orig');
  const T = resid.dims[1];
  const x = new Float64Array(d);
  for (let i = 0; i < d; i++) x[i] = resid.data[(p * T + t) * d + i];
  const zNew = cached(runs.newCache, blockHook(layer, 'attn.hook_z'), 'new').data;
  const zOrig = cached(runs.origCache, blockHook(layer, 'attn.hook_z'), 'orig').data;
  const W_O = model.weights.blocks[layer].W_O.data; // [H, dh, d]
  const zOff = ((p * T + t) * H + head) * dh;
  for (let k = 0; k < dh; k++) {
    const dz = zNew[zOff + k] - zOrig[zOff + k];
    const w = (head * dh + k) * d;
    for (let i = 0; i < d; i++) x[i] += dz * W_O[w + i];
  }
  let mu = 0;
  for (let i = 0; i < d; i++) mu += x[i];
  mu /= d;
  let v = 0;
  for (let i = 0; i < d; i++) v += (x[i] - mu) ** 2;
  const scale = Math.sqrt(v / d + eps);
  const { dir, bias } = logitDiffDirection(model, runs.targets.answerIds[p], runs.targets.wrongIds[p]);
  return lnDot(x, 0, dir, scale) + bias;
}

/**
 * The raw path-patching sweep: per sender head of the first `senderLayers` layers, the
 * mean over prompts of the patched logit difference, [layers, H] row-major.
 */
export async function pathPatchSweep(model: Model, runs: PathPatchRuns, opts: PathPatchOptions): Promise<Float64Array> {
  const Ls = senderLayers(model, opts);
  const H = model.cfg.nHeads;
  const P = runs.orig.length;
  const out = new Float64Array(Ls * H);
  const total = Ls * H * P;
  let done = 0;
  if (opts.receiverInput === 'resid') {
    for (let l = 0; l < Ls; l++) for (let h = 0; h < H; h++) {
      let s = 0;
      for (let p = 0; p < P; p++) s += directEffect(model, runs, l, h, p);
      out[l * H + h] = s / P;
    }
    opts.onProgress?.({ done: total, total });
    return out;
  }
  // Two passes per row (step 1 caches the receiver inputs too): half the fast sweep's chunk.
  const chunk = Math.max(1, Math.floor(rowsPerChunk(model, runs.orig[0].length, opts.memoryBudgetMB ?? DEFAULT_MEMORY_BUDGET_MB) / 2));
  for (let l = 0; l < Ls; l++) {
    const rows = H * P;
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      opts.signal?.throwIfAborted();
      const n = Math.min(chunk, rows - r0);
      const heads = Int32Array.from({ length: n }, (_, i) => Math.floor((r0 + i) / P));
      const prompts = Int32Array.from({ length: n }, (_, i) => (r0 + i) % P);
      const diffs = await patchBatch(model, runs, l, heads, prompts, opts);
      for (let i = 0; i < n; i++) out[l * H + heads[i]] += diffs[i] / P;
      done += n;
      opts.onProgress?.({ done, total, message: `path patching: ${done} of ${total} (sender, prompt) rows` });
    }
  }
  return out;
}

/**
 * Path patching from every sender head to the receivers over the prompt set; values
 * (patched − clean) / (clean − corrupted), [sender layers, H].
 */
export async function pathPatch(model: Model, set: PatchingPromptSet, opts: PathPatchOptions): Promise<PathPatchResult> {
  const started = performance.now();
  const Ls = senderLayers(model, opts);
  const { clean, corrupted, targets } = promptPairs(set);
  const hooks = pathPatchHooks(model);
  const orig = await baselineRun(model, clean, targets, hooks, opts.signal);
  const next = await baselineRun(model, corrupted, targets, hooks, opts.signal);
  const cleanMean = mean(orig.diffs);
  const corruptedMean = mean(next.diffs);
  normalisedMetric(cleanMean, cleanMean, corruptedMean); // a set whose runs agree is a UserError before the sweep
  const raw = await pathPatchSweep(model, { orig: clean, origCache: orig.cache, newCache: next.cache, targets }, opts);
  // normalisedMetric(v, clean, corrupted) − 1 = (v − clean) / (clean − corrupted).
  // CONTRACTS §1 fixes dims [L, H]: heads in or after the receivers' layer have no path to
  // them, so their effect is exactly 0; `senderLayers` says how many layers were patched.
  const { nLayers: L, nHeads: H } = model.cfg;
  const values = Array.from({ length: L * H }, (_, i) => (i < raw.length ? normalisedMetric(raw[i], cleanMean, corruptedMean) - 1 : 0));
  const count = (n: number) => Array.from({ length: n }, (_, i) => String(i));
  return {
    dims: [L, H],
    senderLayers: Ls,
    labels: { layer: count(L), head: count(H) },
    axes: ['layer', 'head'],
    values,
    receivers: receiverHeads(model, opts).map(([l, h]) => `${l}.${h}`),
    receiverInput: opts.receiverInput,
    clean: cleanMean,
    corrupted: corruptedMean,
    seconds: (performance.now() - started) / 1000,
  };
}
