/**
 * The sweep engine behind activation patching: run S patch sites over P prompts and
 * return, per site, the mean over prompts of the logit difference (answer − wrong) at
 * each prompt's answer position.
 *
 * `fastSweep` is what the product runs. Instead of TransformerLens's one forward pass per
 * site, it makes S·P batch rows (one per site and prompt) and:
 *   - groups the rows by the site's layer, so each group starts at that layer from the
 *     base run's cached `blocks.L.hook_resid_pre` (layers before a patch cannot change);
 *   - reuses the unchanged prefix: causal attention means a row changes nothing before
 *     P0 = the first position where its patch writes a value different from the base
 *     run's, so it computes only positions ≥ P0 on top of the base run's cached keys and
 *     values (engine `prefix`). Rows are grouped by (layer, P0) so shapes agree. P0 is read
 *     from the data (base vs source activations), so it covers both a by-position site and
 *     an all-positions site whose prompts differ only late; rows whose patch changes
 *     nothing at all are not run;
 *   - finishes early: ln_final and only the answer/wrong unembedding columns at the
 *     answer position (output kind 'columns'), not the [d, V] unembedding everywhere;
 *   - chunks the rows to a memory budget and to MAX_CHUNK_POSITIONS computed positions per run.
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

/**
 * At most this many computed positions (rows × positions) per run, whatever the memory
 * budget. Measured on the bench (GPT-2-small shape, 2 cores, CPU): the all-positions head
 * sweep ran in 46–61 s with 480-row × 5-position batches and 22–31 s with 96-row ones;
 * ORT's CPU arena is off (runtime.ts), so a big batch's buffers are fresh pages every run.
 */
export const MAX_CHUNK_POSITIONS = 512;

/**
 * The hooks the base and source runs must cache for these sites: each site's hook, the
 * resid_pre its layer starts from, and hook_k/hook_v of every layer from the first site's
 * on (up to `nLayers`, default the last site's layer + 1), which prefix reuse attends to.
 */
export function sweepHooks(sites: readonly PatchSite[], nLayers?: number): HookName[] {
  const hooks = new Set<HookName>();
  if (sites.length === 0) return [];
  let first = Infinity;
  let last = 0;
  for (const s of sites) {
    hooks.add(s.hook);
    if (s.layer > 0) hooks.add(blockHook(s.layer, 'hook_resid_pre'));
    first = Math.min(first, s.layer);
    last = Math.max(last, s.layer);
  }
  for (let l = first; l < (nLayers ?? last + 1); l++) {
    hooks.add(blockHook(l, 'attn.hook_k'));
    hooks.add(blockHook(l, 'attn.hook_v'));
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
function buildPatches(sites: readonly PatchSite[], prompts: Int32Array, value: (hook: HookName) => Tensor): Patch[] {
  const B = sites.length;
  const byHook = new Map<HookName, { patch: Patch; cells: number }>();
  for (let b = 0; b < B; b++) {
    const s = sites[b];
    let entry = byHook.get(s.hook);
    if (!entry) {
      const cells = maskCells(s);
      entry = { cells, patch: { hook: s.hook, value: value(s.hook), source: prompts, mask: tensor([B, ...s.maskDims]) } };
      byHook.set(s.hook, entry);
    }
    entry.patch.mask.data[b * entry.cells + s.cell] = 1;
  }
  return [...byHook.values()].map((e) => e.patch);
}

/** The position axis of a hook's activation (batch = 0): the query axis of attention scores/patterns. */
function posAxis(hook: HookName): number {
  return /hook_(attn_scores|pattern)$/.test(hook) ? 2 : 1;
}

/** Positions P0.. of `t` along `axis` (batch = 0), as a prefix run sees activations. */
export function fromPosition(t: Tensor, axis: number, P0: number): Tensor {
  if (P0 === 0) return t;
  const dims = [...t.dims];
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const T = dims[axis];
  const out = new Float32Array(outer * (T - P0) * inner);
  for (let o = 0; o < outer; o++) out.set(t.data.subarray((o * T + P0) * inner, (o + 1) * T * inner), o * (T - P0) * inner);
  dims[axis] = T - P0;
  return tensor(dims, out);
}

/** A site as a prefix run of P0 sees it: the mask's position axis (if full length) starts at P0. */
function shiftSite(site: PatchSite, P0: number, T: number): PatchSite {
  const axis = posAxis(site.hook) - 1;
  const md = site.maskDims;
  if (P0 === 0 || md[axis] !== T) return site;
  const inner = md.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = Math.floor(site.cell / (T * inner));
  const pos = Math.floor(site.cell / inner) % T;
  if (pos < P0) throw new Error(`sweep: site ${site.index} patches position ${pos}, inside the reused prefix of ${P0}`);
  const maskDims = md.map((n, i) => (i === axis ? T - P0 : n));
  return { ...site, maskDims, cell: (outer * (T - P0) + (pos - P0)) * inner + (site.cell % inner) };
}

/** The base run's blocks.{layer}.hook_resid_pre from position P0 for each row (patches at that hook apply inside the block). */
function startResid(layer: number, P0: number, prompts: Int32Array, runs: SweepRuns): Tensor {
  const base = fromPosition(cached(runs.baseCache, blockHook(layer, 'hook_resid_pre'), 'base'), 1, P0);
  const out = tensor([prompts.length, base.dims[1], base.dims[2]]);
  prompts.forEach((p, b) => copyRow(base, p, out.data, b));
  return out;
}

/**
 * Per (hook, mask layout, prompt): for each mask cell, the first position where the source
 * run's activation differs from the base run's (T when nowhere), i.e. the first position a
 * patch of that cell changes. Null when either cache lacks the hook.
 */
class FirstChange {
  private readonly tables = new Map<string, Int32Array | null>();
  constructor(private readonly runs: SweepRuns) {}

  of(site: PatchSite, p: number): number | null {
    const key = `${site.hook}|${site.maskDims.join('x')}|${p}`;
    let table = this.tables.get(key);
    if (table === undefined) {
      table = this.build(site.hook, site.maskDims, p);
      this.tables.set(key, table);
    }
    return table ? table[site.cell] : null;
  }

  private build(hook: HookName, md: readonly number[], p: number): Int32Array | null {
    const base = this.runs.baseCache.get(hook);
    const src = this.runs.sourceCache.get(hook);
    if (!base || !src) return null;
    const dims = base.dims.slice(1);
    const axis = posAxis(hook) - 1;
    const T = dims[axis];
    const n = base.data.length / base.dims[0];
    const mstride = new Array<number>(md.length);
    for (let k = md.length - 1, acc = 1; k >= 0; k--) {
      mstride[k] = acc;
      acc *= md[k];
    }
    const table = new Int32Array(md.reduce((a, b) => a * b, 1)).fill(T);
    const off = p * n;
    for (let i = 0; i < n; i++) {
      if (base.data[off + i] === src.data[off + i]) continue;
      let r = i;
      let cell = 0;
      let pos = 0;
      for (let k = dims.length - 1; k >= 0; k--) {
        const c = r % dims[k];
        if (md[k] !== 1) cell += c * mstride[k];
        if (k === axis) pos = c;
        r = Math.floor(r / dims[k]);
      }
      if (pos < table[cell]) table[cell] = pos;
    }
    return table;
  }
}

/** Whether the base cache holds keys and values of every layer from `layer` on (what a prefix run attends to). */
function hasKeysValues(runs: SweepRuns, layer: number, nLayers: number): boolean {
  for (let l = layer; l < nLayers; l++) {
    if (!runs.baseCache.has(blockHook(l, 'attn.hook_k')) || !runs.baseCache.has(blockHook(l, 'attn.hook_v'))) return false;
  }
  return true;
}

/** Rows of one (layer, P0) group: site slots and prompts, in the same order. */
interface RowGroup {
  layer: number;
  P0: number;
  slots: number[];
  prompts: number[];
}

/**
 * Plans the rows: each (site, prompt) either changes nothing (its result is the base run's,
 * when baseDiffs is given) or joins the group of its layer and P0, the first position its
 * patch changes (at most the answer position, which must be computed; 0 when unknown).
 */
function planRows(model: Model, sites: readonly PatchSite[], runs: SweepRuns, sums: Float64Array): RowGroup[] {
  const P = runs.baseTokens.length;
  const firstChange = new FirstChange(runs);
  const kv = new Map<number, boolean>();
  const groups = new Map<string, RowGroup>();
  sites.forEach((site, slot) => {
    if (!kv.has(site.layer)) kv.set(site.layer, hasKeysValues(runs, site.layer, model.cfg.nLayers));
    for (let p = 0; p < P; p++) {
      const T = runs.baseTokens[p].length;
      const fc = firstChange.of(site, p);
      if (fc === T && runs.baseDiffs) {
        sums[slot] += runs.baseDiffs[p];
        continue;
      }
      let P0 = 0;
      if (kv.get(site.layer)) P0 = Math.min(fc ?? (site.pos >= 0 ? site.pos : 0), runs.answerPos[p]);
      const key = `${site.layer}:${P0}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { layer: site.layer, P0, slots: [], prompts: [] }));
      g.slots.push(slot);
      g.prompts.push(p);
    }
  });
  return [...groups.values()].sort((a, b) => a.layer - b.layer || a.P0 - b.P0);
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
  const groups = planRows(model, sites, runs, sums);
  let done = total - groups.reduce((n, g) => n + g.slots.length, 0);
  // Source values from position P0 on, sliced once per (hook, P0).
  const values = new Map<string, Tensor>();
  const valueAt = (P0: number) => (hook: HookName) => {
    const key = `${hook}|${P0}`;
    let v = values.get(key);
    if (!v) values.set(key, (v = fromPosition(cached(runs.sourceCache, hook, 'source'), posAxis(hook), P0)));
    return v;
  };
  for (const { layer, P0, slots: allSlots, prompts: allPrompts } of groups) {
    const rows = Math.max(1, Math.min(chunk, Math.floor(MAX_CHUNK_POSITIONS / (T - P0))));
    for (let r0 = 0; r0 < allSlots.length; r0 += rows) {
      opts.signal?.throwIfAborted();
      const slots = allSlots.slice(r0, r0 + rows);
      const prompts = Int32Array.from(allPrompts.slice(r0, r0 + rows));
      const res = await model.run({
        tokens: Array.from(prompts, (p) => runs.baseTokens[p]),
        // Layer 0 starts from the tokens (the embedding is cheap and has hooks of its own).
        startLayer: layer,
        startResid: layer > 0 ? startResid(layer, P0, prompts, runs) : undefined,
        prefix: P0 > 0 ? { length: P0, cache: runs.baseCache, rows: prompts } : undefined,
        patches: buildPatches(slots.map((k) => shiftSite(sites[k], P0, T)), prompts, valueAt(P0)),
        output: columnsOutput(runs, prompts),
        signal: opts.signal,
      });
      const diffs = logitDiff(columnLogits(res.logits));
      for (let i = 0; i < slots.length; i++) sums[slots[i]] += diffs[i];
      done += slots.length;
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
