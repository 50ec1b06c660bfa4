/**
 * `npm run bench` / `circuit-explorer bench`: how much faster the batched sweep
 * (./sweep.ts fastSweep) is than the TransformerLens way (naiveSweep: one full forward
 * per site with full logits), both measured in the same process on the same model and
 * prompts, so the ratio holds on a noisy machine (CONTRACTS §4).
 *
 * Without a model it generates a random checkpoint of GPT-2 small's shape (12 layers,
 * d_model 768, 12 heads, vocabulary 50257) once under the OS temp folder, cached by shape,
 * because the bench must run from a fresh clone with no network.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { cpus, platform, arch, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../engine/load';
import type { Model } from '../engine/types';
import type { Progress } from '../protocol/ops';
import type { PatchKind } from '../protocol/results';
import { makeSyntheticCheckpoint } from '../engine/checkpoint/synthetic';
import { promptPairs } from './patching';
import type { PatchingPromptSet } from './patching';
import { patchSites } from './sites';
import { baselineRun, fastSweep, naiveSweep, sweepHooks } from './sweep';

export interface BenchOptions {
  /** The model to time; default a random GPT-2-small-shaped checkpoint. */
  model?: Model;
  sweeps?: PatchKind[];
  prompts?: number;
  tokens?: number;
  memoryBudgetMB?: number;
  /**
   * Sites the naive sweep actually runs per kind (default 48, evenly spaced); its time is
   * scaled to all sites. Exact up to noise: every naive site is one identical full forward.
   */
  naiveSample?: number;
  device?: string;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

export interface BenchSweep {
  kind: PatchKind;
  sites: number;
  /** The batched sweep, including the clean and corrupted baseline runs. */
  seconds: number;
  /** The same sweep the TransformerLens way, including the same baseline runs. */
  naiveSeconds: number;
  /** How many sites the naive sweep ran (its time scaled to `sites`). */
  naiveSitesTimed: number;
  speedup: number;
  /** Largest |fast − naive| of the raw metric: the two must agree. */
  maxAbsDiff: number;
}

export interface BenchResult {
  machine: { platform: string; arch: string; cpu: string; cores: number; memoryMB: number; node: string; device: string };
  model: { layers: number; dModel: number; heads: number; id: string };
  prompts: number;
  tokens: number;
  sweeps: BenchSweep[];
  forward: { tokensPerSecond: number };
  rssMB: number;
  /** Seconds to load (and, the first time, generate) the checkpoint; 0 when a model was given. */
  loadSeconds: number;
}

export const DEFAULT_BENCH_SWEEPS: PatchKind[] = ['resid_pre', 'attn_head_out_all_pos', 'attn_head_all_pos_every'];

/** The bench checkpoint folder, generated on first use (written to a temp name, then renamed). */
export function benchCheckpoint(): string {
  const dir = join(tmpdir(), 'circuit-explorer-bench', 'gpt2-small-shape-l12-d768-h12-v50257-seed1');
  if (existsSync(join(dir, 'config.json'))) return dir;
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  makeSyntheticCheckpoint(partial, { arch: 'gpt2', preset: 'gpt2-small', seed: 1 });
  try {
    renameSync(partial, dir);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // another process won the race
  }
  return dir;
}

/** P seeded prompt pairs of T tokens that differ at two positions; the last position answers. */
function benchPrompts(model: Model, P: number, T: number): PatchingPromptSet {
  let s = 12345;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return 1 + (s % 20000);
  };
  const clean: number[][] = [];
  const corrupted: number[][] = [];
  for (let p = 0; p < P; p++) {
    const c = [model.cfg.bosTokenId, ...Array.from({ length: T - 1 }, next)];
    const x = [...c];
    x[1 + (p % (T - 1))] = next();
    x[T - 2] = next();
    clean.push(c);
    corrupted.push(x);
  }
  return { cleanTokens: clean, corruptedTokens: corrupted, answerIds: Int32Array.from({ length: P }, next), wrongIds: Int32Array.from({ length: P }, next), answerPos: T - 1 };
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

export async function runBench(opts: BenchOptions = {}): Promise<BenchResult> {
  const P = opts.prompts ?? 8;
  const T = opts.tokens ?? 16;
  const kinds = opts.sweeps ?? DEFAULT_BENCH_SWEEPS;
  const report = (message: string) => opts.onProgress?.({ done: 0, total: 0, message });
  let loadSeconds = 0;
  let model = opts.model;
  const owned = !model;
  if (!model) {
    const t0 = performance.now();
    report('preparing a random GPT-2-small-shaped checkpoint (generated once, then cached)');
    model = await loadModel({ model: benchCheckpoint(), device: opts.device });
    loadSeconds = seconds(t0);
  }
  try {
    const { clean, corrupted, targets } = promptPairs(benchPrompts(model, P, T));
    // Warm-up: the first run of each session allocates.
    await baselineRun(model, clean, targets, [], opts.signal);
    const sweeps: BenchSweep[] = [];
    for (const kind of kinds) {
      const { sites } = patchSites(model.cfg, kind, T);
      const t0 = performance.now();
      const hooks = sweepHooks(sites);
      const source = await baselineRun(model, clean, targets, hooks, opts.signal);
      const base = await baselineRun(model, corrupted, targets, hooks, opts.signal);
      const baselineSeconds = seconds(t0);
      const runs = { baseTokens: corrupted, baseCache: base.cache, sourceCache: source.cache, baseDiffs: base.diffs, ...targets };
      report(`${kind}: batched sweep of ${sites.length} sites × ${P} prompts`);
      const t1 = performance.now();
      const fast = await fastSweep(model, sites, runs, { memoryBudgetMB: opts.memoryBudgetMB, signal: opts.signal });
      const fastSeconds = baselineSeconds + seconds(t1);
      const n = Math.min(sites.length, Math.max(1, opts.naiveSample ?? 48));
      const sample = Array.from({ length: n }, (_, i) => Math.floor((i * sites.length) / n));
      report(`${kind}: the TransformerLens way, ${n} of ${sites.length} forward passes timed`);
      const t2 = performance.now();
      const naive = await naiveSweep(model, sample.map((i) => sites[i]), runs, { signal: opts.signal });
      const naiveSeconds = baselineSeconds + (seconds(t2) * sites.length) / n;
      const maxAbsDiff = sample.reduce((m, site, i) => Math.max(m, Math.abs(fast[site] - naive[i])), 0);
      sweeps.push({ kind, sites: sites.length, seconds: fastSeconds, naiveSeconds, naiveSitesTimed: n, speedup: naiveSeconds / fastSeconds, maxAbsDiff });
    }
    const reps = 3;
    const t3 = performance.now();
    for (let i = 0; i < reps; i++) await model.run({ tokens: clean, output: { kind: 'logits' }, signal: opts.signal });
    const tokensPerSecond = (reps * P * T) / seconds(t3);
    return {
      machine: { platform: platform(), arch: arch(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryMB: Math.round(totalmem() / 2 ** 20), node: process.version, device: model.device },
      model: { layers: model.cfg.nLayers, dModel: model.cfg.dModel, heads: model.cfg.nHeads, id: model.id },
      prompts: P,
      tokens: T,
      sweeps,
      forward: { tokensPerSecond },
      rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
      loadSeconds,
    };
  } finally {
    if (owned) await model.dispose();
  }
}
