/**
 * The sweep engine behind activation patching: run S patch sites over P prompts and
 * return, per site, the mean over prompts of the logit difference (answer − wrong) at
 * each prompt's answer position.
 *
 * `fastSweep` is what the product runs. Instead of TransformerLens's one forward pass per
 * site, it makes S·P batch rows (one per site and prompt) and:
 *   - groups the rows by the site's layer, so each group starts at that layer from the
 *     base run's cached `blocks.L.hook_resid_pre` (layers before a patch cannot change);
 *   - finishes early: ln_final and only the answer/wrong unembedding columns at the
 *     answer position (output kind 'columns'), not the [d, V] unembedding everywhere;
 *   - chunks the rows to a memory budget.
 * `naiveSweep` is the TransformerLens way with the same engine (one full forward per
 * site from layer 0, full logits at every position): the tests check that both agree and
 * the benchmark reports their ratio.
 */
import { blockHook } from '../engine/hooks';
import type { HookName } from '../engine/hooks';
import { tensor } from '../engine/tensor';
import type { Tensor } from '../engine/tensor';
import type { Model, Patch } from '../engine/types';
import type { Progress } from '../protocol/ops';
import { logitDiff } from './metrics';
import { maskCells } from './sites';
import type { PatchSite } from './sites';

/** Two runs of the same P prompts: the one patched (base) and the one patched from (source). */
export interface SweepRuns {
  /** Token ids of the run being patched (the corrupted run when denoising), [P][T]. */
  baseTokens: number[][];
  /** The base run's cache; must hold `blocks.L.hook_resid_pre` of every site's layer. */
  baseCache: Map<HookName, Tensor>;
  /** The source run's cache (the clean run when denoising); must hold every site's hook, [P, ...]. */
  sourceCache: Map<HookName, Tensor>;
  /** Per prompt: position of the prediction, and the two token ids whose logit difference is the metric. */
  answerPos: Int32Array;
  answerIds: Int32Array;
  wrongIds: Int32Array;
  /**
   * The base run's logit difference per prompt. When given (and the base cache holds the
   * sites' hooks), rows whose patch would write exactly the value already there are not
   * run: their result is the base run's. Exact, and common: a prompt pair that differs
   * only at position k leaves every position before k identical in both runs.
   */
  baseDiffs?: Float64Array;
}

export interface SweepOptions {
  /** Upper bound for one chunk's activations, in MB (default 1024). */
  memoryBudgetMB?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export const DEFAULT_MEMORY_BUDGET_MB = 1024;

/**
 * Live activations per batch row, in units of the largest one: the engine holds a block's
 * input, a few intermediates and its output at once, plus the patch masks and values.
 * Deliberately generous so a chunk stays inside the budget the user set.
 */
const LIVE_COPIES = 8;

/** The hooks the base and source runs must cache for these sites. */
export function sweepHooks(sites: readonly PatchSite[]): HookName[] {
  const hooks = new Set<HookName>();
  for (const s of sites) {
    hooks.add(s.hook);
    if (s.layer > 0) hooks.add(blockHook(s.layer, 'hook_resid_pre'));
  }
  return [...hooks];
}

/** Rows per chunk so that one chunk's activations fit in the memory budget. */
export function rowsPerChunk(model: Model, T: number, budgetMB = DEFAULT_MEMORY_BUDGET_MB): number {
  const c = model.cfg;
  const largest = Math.max(T * c.dModel, T * c.dMlp, c.nHeads * T * T, T * c.nHeads * c.dHead);
  const rowBytes = largest * 4 * LIVE_COPIES;
  return Math.max(1, Math.floor((budgetMB * 2 ** 20) / rowBytes));
}

/** Which logits a row needs: the answer and wrong columns at its prompt's answer position. */
export type AnswerTargets = Pick<SweepRuns, 'answerPos' | 'answerIds' | 'wrongIds'>;

export function columnsOutput(runs: AnswerTargets, prompts: ArrayLike<number>) {
  const positions = new Int32Array(prompts.length);
  const tokens: Int32Array[] = [];
  for (let b = 0; b < prompts.length; b++) {
    const p = prompts[b];
    positions[b] = runs.answerPos[p];
    tokens.push(Int32Array.of(runs.answerIds[p], runs.wrongIds[p]));
  }
  return { kind: 'columns' as const, positions, tokens };
}

/**
 * One unpatched run of P prompts: the logit difference per prompt and the cache of `hooks`.
 * Used for the clean and corrupted baselines of every analysis here.
 */
export async function baselineRun(
  model: Model,
  tokens: number[][],
  target: AnswerTargets,
  hooks: readonly HookName[],
  signal?: AbortSignal,
): Promise<{ diffs: Float64Array; cache: Map<HookName, Tensor> }> {
  const rows = Int32Array.from(tokens.keys());
  const res = await model.run({ tokens, cache: hooks, output: columnsOutput(target, rows), signal });
  return { diffs: logitDiff(columnLogits(res.logits)), cache: res.cache };
}

export function columnLogits(logits: Tensor | undefined): Tensor {
  if (!logits) throw new Error('sweep: the run returned no column logits');
  return logits;
}

/** A cached activation that must be there (a missing one is a bug here, not bad input). */
export function cached(cache: Map<HookName, Tensor>, hook: HookName, what: string): Tensor {
  const t = cache.get(hook);
  if (!t) throw new Error(`sweep: the ${what} cache lacks ${hook}`);
  return t;
}

/** Copies row `p` of a [P, ...] tensor into row `b` of `out` (same inner size). */
export function copyRow(src: Tensor, p: number, out: Float32Array, b: number): void {
  const n = src.data.length / src.dims[0];
  out.set(src.data.subarray(p * n, (p + 1) * n), b * n);
}

/**
 * The patches for one batch of rows (row b patches `sites[b]` with source prompt `prompts[b]`):
 * one Patch per distinct hook, whose mask is set only on that hook's rows.
 */
function buildPatches(sites: readonly PatchSite[], prompts: Int32Array, sourceCache: Map<HookName, Tensor>): Patch[] {
  const B = sites.length;
  const byHook = new Map<HookName, { patch: Patch; cells: number }>();
  for (let b = 0; b < B; b++) {
    const s = sites[b];
    let entry = byHook.get(s.hook);
    if (!entry) {
      const cells = maskCells(s);
      entry = { cells, patch: { hook: s.hook, value: cached(sourceCache, s.hook, 'source'), source: prompts, mask: tensor([B, ...s.maskDims]) } };
      byHook.set(s.hook, entry);
    }
    entry.patch.mask.data[b * entry.cells + s.cell] = 1;
  }
  return [...byHook.values()].map((e) => e.patch);
}

/** The base run's blocks.{layer}.hook_resid_pre for each row (patches at that hook apply inside the block). */
function startResid(layer: number, prompts: Int32Array, runs: SweepRuns): Tensor {
  const base = cached(runs.baseCache, blockHook(layer, 'hook_resid_pre'), 'base');
  const out = tensor([prompts.length, base.dims[1], base.dims[2]]);
  prompts.forEach((p, b) => copyRow(base, p, out.data, b));
  return out;
}

/** Whether patching `site` from source prompt p into base prompt p changes nothing. */
function unchanged(site: PatchSite, p: number, runs: SweepRuns): boolean {
  const base = runs.baseCache.get(site.hook);
  const src = runs.sourceCache.get(site.hook);
  if (!base || !src || !runs.baseDiffs) return false;
  const dims = base.dims.slice(1);
  const n = base.data.length / base.dims[0];
  const md = site.maskDims;
  const mstride = new Array<number>(md.length);
  for (let k = md.length - 1, acc = 1; k >= 0; k--) {
    mstride[k] = acc;
    acc *= md[k];
  }
  const off = p * n;
  for (let i = 0; i < n; i++) {
    let r = i;
    let cell = 0;
    for (let k = dims.length - 1; k >= 0; k--) {
      if (md[k] !== 1) cell += (r % dims[k]) * mstride[k];
      r = Math.floor(r / dims[k]);
    }
    if (cell === site.cell && base.data[off + i] !== src.data[off + i]) return false;
  }
  return true;
}

/**
 * The fast sweep: per site, the mean over prompts of the logit difference with that site
 * patched. Rows are (site, prompt) pairs, grouped by layer, chunked to the memory budget.
 */
export async function fastSweep(model: Model, sites: readonly PatchSite[], runs: SweepRuns, opts: SweepOptions = {}): Promise<Float64Array> {
  const P = runs.baseTokens.length;
  const T = runs.baseTokens[0]?.length ?? 0;
  const sums = new Float64Array(sites.length);
  const total = sites.length * P;
  const chunk = rowsPerChunk(model, T, opts.memoryBudgetMB);
  let done = 0;
  const layers = [...new Set(sites.map((s) => s.layer))].sort((a, b) => a - b);
  for (const layer of layers) {
    // Slots (indices into `sites`) of this layer's sites; rows are (slot, prompt), slot-major.
    const group = [...sites.keys()].filter((i) => sites[i].layer === layer);
    const rows = group.length * P;
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      opts.signal?.throwIfAborted();
      const n = Math.min(chunk, rows - r0);
      const slotList: number[] = [];
      const promptList: number[] = [];
      for (let i = 0; i < n; i++) {
        const slot = group[Math.floor((r0 + i) / P)];
        const p = (r0 + i) % P;
        if (unchanged(sites[slot], p, runs)) sums[slot] += runs.baseDiffs![p];
        else {
          slotList.push(slot);
          promptList.push(p);
        }
      }
      done += n;
      if (slotList.length === 0) continue;
      const slots = Int32Array.from(slotList);
      const prompts = Int32Array.from(promptList);
      const rowSites = Array.from(slots, (k) => sites[k]);
      const res = await model.run({
        tokens: Array.from(prompts, (p) => runs.baseTokens[p]),
        // Layer 0 starts from the tokens (the embedding is cheap and has hooks of its own).
        startLayer: layer,
        startResid: layer > 0 ? startResid(layer, prompts, runs) : undefined,
        patches: buildPatches(rowSites, prompts, runs.sourceCache),
        output: columnsOutput(runs, prompts),
        signal: opts.signal,
      });
      const diffs = logitDiff(columnLogits(res.logits));
      for (let i = 0; i < slots.length; i++) sums[slots[i]] += diffs[i];
      opts.onProgress?.({ done, total, message: `patched ${done} of ${total} (site, prompt) rows` });
    }
  }
  return sums.map((v) => v / P);
}

/**
 * The TransformerLens way, with the same engine: for each site one forward pass of the P
 * base prompts from layer 0 with that one patch on every row, full logits at every
 * position, the metric read from them. Same result as fastSweep; slower by design.
 */
export async function naiveSweep(model: Model, sites: readonly PatchSite[], runs: SweepRuns, opts: SweepOptions = {}): Promise<Float64Array> {
  const P = runs.baseTokens.length;
  const T = runs.baseTokens[0]?.length ?? 0;
  const prompts = Int32Array.from(runs.baseTokens.keys());
  const out = new Float64Array(sites.length);
  for (let i = 0; i < sites.length; i++) {
    opts.signal?.throwIfAborted();
    const s = sites[i];
    const mask = tensor([P, ...s.maskDims]);
    const cells = maskCells(s);
    for (let p = 0; p < P; p++) mask.data[p * cells + s.cell] = 1;
    const res = await model.run({
      tokens: runs.baseTokens,
      patches: [{ hook: s.hook, value: cached(runs.sourceCache, s.hook, 'source'), source: prompts, mask }],
      output: { kind: 'logits' },
      signal: opts.signal,
    });
    const logits = res.logits!;
    const V = logits.dims[2];
    if (logits.dims[1] !== T) throw new Error(`naiveSweep: expected logits at all ${T} positions, got [${logits.dims.join(',')}]`);
    let sum = 0;
    for (let p = 0; p < P; p++) {
      const o = (p * T + runs.answerPos[p]) * V;
      sum += logits.data[o + runs.answerIds[p]] - logits.data[o + runs.wrongIds[p]];
    }
    out[i] = sum / P;
    opts.onProgress?.({ done: i + 1, total: sites.length, message: `naive sweep: site ${i + 1} of ${sites.length}` });
  }
  return out;
}
