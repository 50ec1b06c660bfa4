/**
 * Activation patching, with the semantics of `transformer_lens.patching`.
 *
 * We run the model on two prompts that differ in one detail that flips the answer:
 * the *clean* prompt ("When John and Mary went to the shops, John gave the bag to" →
 * " Mary") and the *corrupted* one (same sentence with the names swapped, so the model
 * now prefers " John"). The metric is the logit difference (answer − wrong) at the
 * answer position, averaged over the prompts of a set.
 *
 * Then we take one activation (a site: a layer's residual stream at one position, one
 * head's output, …), copy it from one run into the other, and see how much of the
 * behaviour comes back:
 *   - denoising (the default): clean activation patched into the corrupted run. A site
 *     that restores the clean answer on its own carries information sufficient for it.
 *   - noising (`noising: true`): corrupted activation patched into the clean run. A site
 *     that breaks the clean answer is necessary for it.
 * Either way the reported value is normalised as (patched − corrupted) / (clean −
 * corrupted) of the mean logit difference: 1 = behaves like the clean run, 0 = like the
 * corrupted run. Denoising looks for values near 1; noising for values that fall from 1.
 *
 * The sites of each kind are in ./sites.ts; the batched sweep that patches them is in
 * ./sweep.ts (TransformerLens runs one forward pass per site; we batch them).
 */
import { UserError } from '../engine/errors';
import type { Model } from '../engine/types';
import type { Progress } from '../protocol/ops';
import type { PatchKind, PatchResult } from '../protocol/results';
import { positionLabels } from '../protocol/tokens';
import { mean, normalisedMetric } from './metrics';
import { patchSites } from './sites';
import type { SiteGrid } from './sites';
import { baselineRun, fastSweep, sweepHooks } from './sweep';
import type { AnswerTargets } from './sweep';

/**
 * What patching reads from a loaded prompt set (src/analysis/promptSet.ts), structurally:
 * clean/corrupted token ids of equal length per pair, the answer and wrong token ids and
 * the answer position (one per prompt, or one for all).
 */
export interface PatchingPromptSet {
  cleanTokens: readonly ArrayLike<number>[];
  corruptedTokens?: readonly ArrayLike<number>[] | null;
  answerIds: ArrayLike<number>;
  wrongIds: ArrayLike<number>;
  answerPos: ArrayLike<number> | number;
}

export interface PromptPairs {
  clean: number[][];
  corrupted: number[][];
  targets: AnswerTargets;
}

export interface PatchOptions {
  /** Patch corrupted activations into the clean run instead (default: denoising). */
  noising?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Upper bound for one chunk's activations, in MB (default 1024). */
  memoryBudgetMB?: number;
}

/** Checks and normalises a prompt set for patching; bad sets are a one-line UserError. */
export function promptPairs(set: PatchingPromptSet): PromptPairs {
  const clean = set.cleanTokens.map((t) => Array.from(t));
  const P = clean.length;
  if (P === 0) throw new UserError('prompt set: no prompts to patch');
  if (!set.corruptedTokens || set.corruptedTokens.length !== P) {
    throw new UserError('prompt set: patching needs a "corrupted" prompt for every prompt');
  }
  const corrupted = set.corruptedTokens.map((t) => Array.from(t));
  const T = clean[0].length;
  for (let p = 0; p < P; p++) {
    if (clean[p].length !== T || corrupted[p].length !== T) {
      throw new UserError(`prompt set: prompt ${p} has ${clean[p].length} clean and ${corrupted[p].length} corrupted tokens; every prompt must have ${T}`);
    }
  }
  if (set.answerIds.length !== P || set.wrongIds.length !== P) {
    throw new UserError('prompt set: patching needs an "answer" and a "wrong" token for every prompt');
  }
  const answerPos = typeof set.answerPos === 'number' ? new Int32Array(P).fill(set.answerPos) : Int32Array.from(set.answerPos);
  for (let p = 0; p < P; p++) {
    if (answerPos[p] < 0) answerPos[p] += T;
    if (!(answerPos[p] >= 0 && answerPos[p] < T)) throw new UserError(`prompt set: answer position of prompt ${p} is outside its ${T} tokens`);
  }
  return { clean, corrupted, targets: { answerPos, answerIds: Int32Array.from(set.answerIds), wrongIds: Int32Array.from(set.wrongIds) } };
}

/** Axis labels of a site grid: layer "0".., pos from the first clean prompt, head "0".., facet names. */
export function gridLabels(model: Model, grid: SiteGrid, firstClean: readonly number[]): { [axis: string]: string[] } {
  const count = (n: number) => Array.from({ length: n }, (_, i) => String(i));
  const labels: { [axis: string]: string[] } = {};
  for (const axis of grid.axes) {
    if (axis === 'layer') labels.layer = count(model.cfg.nLayers);
    else if (axis === 'head') labels.head = count(model.cfg.nHeads);
    else if (axis === 'pos') labels.pos = positionLabels(model.tokenizer.strTokens(firstClean));
    else if (axis === 'facet') labels.facet = grid.facets.map((f) => f.name);
  }
  return labels;
}

/**
 * Activation patching of every site of `kind` over the prompt set: the normalised mean
 * logit difference per site (see the module comment), with the raw clean and corrupted
 * mean logit differences.
 */
export async function activationPatch(model: Model, set: PatchingPromptSet, kind: PatchKind, opts: PatchOptions = {}): Promise<PatchResult> {
  const started = performance.now();
  const { clean, corrupted, targets } = promptPairs(set);
  const grid = patchSites(model.cfg, kind, clean[0].length);
  const hooks = sweepHooks(grid.sites);
  const cleanRun = await baselineRun(model, clean, targets, hooks, opts.signal);
  const corruptedRun = await baselineRun(model, corrupted, targets, hooks, opts.signal);
  const cleanMean = mean(cleanRun.diffs);
  const corruptedMean = mean(corruptedRun.diffs);
  normalisedMetric(cleanMean, cleanMean, corruptedMean); // a set whose runs agree is a UserError before the sweep
  const [base, source, baseTokens] = opts.noising ? [cleanRun, corruptedRun, clean] : [corruptedRun, cleanRun, corrupted];
  const patched = await fastSweep(model, grid.sites, { baseTokens, baseCache: base.cache, sourceCache: source.cache, baseDiffs: base.diffs, ...targets }, opts);
  const values = Array.from(patched, (v) => normalisedMetric(v, cleanMean, corruptedMean));
  return patchResult(model, grid, clean[0], values, { clean: cleanMean, corrupted: corruptedMean, noising: !!opts.noising, started });
}

/** A sweep's grid and normalised values as a PatchResult; `started` is its performance.now() at the start. */
export function patchResult(
  model: Model,
  grid: SiteGrid,
  firstClean: readonly number[],
  values: number[],
  run: { clean: number; corrupted: number; noising: boolean; started: number; method?: PatchResult['method'] },
): PatchResult {
  return {
    kind: grid.kind,
    dims: grid.dims,
    labels: gridLabels(model, grid, firstClean),
    axes: grid.axes,
    values,
    clean: run.clean,
    corrupted: run.corrupted,
    noising: run.noising,
    strTokens: model.tokenizer.strTokens(firstClean),
    seconds: (performance.now() - run.started) / 1000,
    ...(run.method ? { method: run.method } : {}),
  };
}
