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
import { UserError } from '../engine/errors';
import { loadModel } from '../engine/load';
import type { Model } from '../engine/types';
import type { Progress } from '../protocol/ops';
import type { PatchKind } from '../protocol/results';
import { makeSyntheticCheckpoint } from '../engine/checkpoint/synthetic';
import { attributionPatch } from './attributionPatching';
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
   * Sites the naive sweep actually runs per kind (default 32, evenly spaced); its time is
   * scaled to all sites. Exact up to noise: every naive site is one identical full forward.
   */
  naiveSample?: number;
  /** Timing rounds per kind (default 2, alternating which way runs first); each way keeps its best. */
  rounds?: number;
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
  /** Timing rounds; each way reports its best round (rounds alternate which way goes first). */
  rounds: number;
  speedup: number;
  /** Largest |fast − naive| of the raw metric: the two must agree. */
  maxAbsDiff: number;
  /** Attribution patching of the same kind (its estimate, not the exact sweep): baselines and one backward pass per prompt. */
  attributionSeconds: number;
}

export interface BenchResult {
  machine: { platform: string; arch: string; cpu: string; cores: number; memoryMB: number; node: string; device: string };
  model: { layers: number; dModel: number; heads: number; id: string };
  prompts: number;
  tokens: number;
  /** What the prompt pairs are (IOI-style, where they differ). */
  promptPairs: string;
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

const NAMES = [' John', ' Mary', ' Tom', ' Sarah', ' James', ' Anna', ' Paul', ' Kate', ' Dan', ' Lisa', ' Mark', ' Emma'];
const PLACES = [' store', ' park', ' school', ' beach'];
const OBJECTS = [' drink', ' book', ' ring', ' ball'];
/** The name that differs, " gave a OBJECT to" after it, and BOS. */
const MIN_BENCH_TOKENS = 6;

/** Prepended after BOS when more than the template's tokens are asked for. */
const PREAMBLE = ' It was a quiet day in the town and everyone was outside.';

/** How the bench's prompt pairs are made, for its output; `pos` is where clean and corrupted differ. */
function describePrompts(P: number, T: number, pos: number): string {
  return (
    `${P} IOI-style pairs of ${T} tokens ("When John and Mary went to the store together, John gave a drink to" → " Mary" vs " John"), ` +
    `clean and corrupted differing in one token (the second name, position ${pos}), answer at the last position`
  );
}

/**
 * P IOI-style prompt pairs of T tokens: clean "When A and B went to the PLACE together, A
 * gave a OBJECT to" (answer B, wrong A); corrupted names B second ("…, B gave …"), so the
 * pair differs in one token in the second half of the prompt, as in the IOI experiments.
 */
function benchPrompts(model: Model, P: number, T: number): PatchingPromptSet {
  const tok = model.tokenizer;
  const name = (i: number) => NAMES[i % NAMES.length];
  const clean: number[][] = [];
  const corrupted: number[][] = [];
  const answerIds: number[] = [];
  const wrongIds: number[] = [];
  const preamble = tok.encode(PREAMBLE, { prependBos: false });
  for (let p = 0; p < P; p++) {
    const [a, b] = [name(2 * p), name(2 * p + 1 + Math.floor(p / NAMES.length))];
    const place = PLACES[p % PLACES.length];
    const object = OBJECTS[Math.floor(p / PLACES.length) % OBJECTS.length];
    const text = (s2: string) => `When${a} and${b} went to the${place} together,${s2} gave a${object} to`;
    const [c, x] = [tok.encode(text(a)), tok.encode(text(b))];
    if (c.length !== x.length || x[x.length - 1] !== c[c.length - 1]) {
      throw new UserError(`bench: the IOI prompt "${text(a)}" tokenizes to different lengths with its names swapped; the bench needs the names as single tokens`);
    }
    // Longer prompts: filler after BOS, so the names stay in the second half. Shorter ones
    // (a quick run): the template's tail after BOS, which still holds the changed name.
    const fit = (ids: number[]) =>
      T >= ids.length ? [ids[0], ...Array.from({ length: T - ids.length }, (_, i) => preamble[i % preamble.length]), ...ids.slice(1)] : [ids[0], ...ids.slice(ids.length - T + 1)];
    clean.push(fit(c));
    corrupted.push(fit(x));
    answerIds.push(tok.singleToken(b));
    wrongIds.push(tok.singleToken(a));
  }
  return { cleanTokens: clean, corruptedTokens: corrupted, answerIds: Int32Array.from(answerIds), wrongIds: Int32Array.from(wrongIds), answerPos: T - 1 };
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

export async function runBench(opts: BenchOptions = {}): Promise<BenchResult> {
  const P = opts.prompts ?? 8;
  const T = opts.tokens ?? 16;
  // Checked before the (slow) checkpoint generation. Under 6 tokens the window after BOS
  // loses the changed name, clean equals corrupted and every score is 0/0.
  if (!Number.isInteger(P) || P < 1) throw new UserError(`bench: prompts must be a whole number of at least 1, got ${P}`);
  if (!Number.isInteger(T) || T < MIN_BENCH_TOKENS) throw new UserError(`bench: tokens must be a whole number of at least ${MIN_BENCH_TOKENS} (to keep the changed name), got ${T}`);
  const kinds = opts.sweeps ?? DEFAULT_BENCH_SWEEPS;
  const rounds = Math.max(1, opts.rounds ?? 2);
  const report = (message: string) => opts.onProgress?.({ done: 0, total: 0, message });
  let loadSeconds = 0;
  let model = opts.model;
  const owned = !model;
  if (!model) {
    report('preparing a random GPT-2-small-shaped checkpoint (generated once, then cached)');
    const dir = benchCheckpoint();
    // Load time as a user meets it: safetensors → processed weights → sessions (not the generation).
    const t0 = performance.now();
    model = await loadModel({ model: dir, device: opts.device });
    loadSeconds = seconds(t0);
  }
  try {
    if (T > model.cfg.nCtx) throw new UserError(`bench: tokens ${T} is more than ${model.id}'s context of ${model.cfg.nCtx}`);
    const set = benchPrompts(model, P, T);
    const { clean, corrupted, targets } = promptPairs(set);
    const differAt = clean[0].findIndex((t, i) => t !== corrupted[0][i]);
    // Warm-up: the first run of each session allocates.
    await baselineRun(model, clean, targets, [], opts.signal);
    const sweeps: BenchSweep[] = [];
    for (const kind of kinds) {
      const { sites } = patchSites(model.cfg, kind, T);
      const t0 = performance.now();
      const hooks = sweepHooks(sites, model.cfg.nLayers);
      const source = await baselineRun(model, clean, targets, hooks, opts.signal);
      const base = await baselineRun(model, corrupted, targets, hooks, opts.signal);
      const baselineSeconds = seconds(t0);
      const runs = { baseTokens: corrupted, baseCache: base.cache, sourceCache: source.cache, baseDiffs: base.diffs, ...targets };
      const n = Math.min(sites.length, Math.max(1, opts.naiveSample ?? 32));
      const sample = Array.from({ length: n }, (_, i) => Math.floor((i * sites.length) / n));
      // Rounds alternate the order (fast then naive, naive then fast) and each way keeps its
      // best time, so a load change on a shared machine does not favour either way.
      let fast: Float64Array = new Float64Array(0);
      let naive: Float64Array = new Float64Array(0);
      let fastBest = Infinity;
      let naiveBest = Infinity;
      const timeFast = async () => {
        report(`${kind}: batched sweep of ${sites.length} sites × ${P} prompts`);
        const t = performance.now();
        fast = await fastSweep(model, sites, runs, { memoryBudgetMB: opts.memoryBudgetMB, signal: opts.signal });
        fastBest = Math.min(fastBest, seconds(t));
      };
      const timeNaive = async () => {
        report(`${kind}: the TransformerLens way, ${n} of ${sites.length} forward passes timed`);
        const t = performance.now();
        naive = await naiveSweep(model, sample.map((i) => sites[i]), runs, { signal: opts.signal });
        naiveBest = Math.min(naiveBest, (seconds(t) * sites.length) / n);
      };
      for (let r = 0; r < rounds; r++) {
        if (r % 2 === 0) (await timeFast(), await timeNaive());
        else (await timeNaive(), await timeFast());
      }
      const fastSeconds = baselineSeconds + fastBest;
      const naiveSeconds = baselineSeconds + naiveBest;
      const maxAbsDiff = sample.reduce((m, site, i) => Math.max(m, Math.abs(fast[site] - naive[i])), 0);
      report(`${kind}: attribution patching (one backward pass per prompt)`);
      const t4 = performance.now();
      await attributionPatch(model, set, kind, { signal: opts.signal });
      const attributionSeconds = seconds(t4);
      sweeps.push({ kind, sites: sites.length, seconds: fastSeconds, naiveSeconds, naiveSitesTimed: n, rounds, speedup: naiveSeconds / fastSeconds, maxAbsDiff, attributionSeconds });
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
      promptPairs: describePrompts(P, T, differAt),
      sweeps,
      forward: { tokensPerSecond },
      rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
      loadSeconds,
    };
  } finally {
    if (owned) await model.dispose();
  }
}
