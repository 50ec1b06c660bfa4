/**
 * Head detectors.
 *
 * Attention-pattern detectors follow TransformerLens `head_detector.detect_head` with the
 * "mul" measure: score = Σ(pattern × target) / Σ pattern over one sequence's [query, key]
 * pattern, averaged over sequences. Targets (lower-triangular 0/1):
 *   previous   query i → key i−1
 *   duplicate  query i → every earlier key j < i holding the same token
 *   induction  query i → key j+1 for every earlier copy j < i of the current token
 * The sequences are BOS + N random tokens repeated twice (seeded), as the model cards use.
 *
 * Copying uses the OV circuit instead: a copying head maps a token's embedding to a
 * boost of the same token's logit, so W_E W_V W_O W_U ([V, V]) has mostly positive
 * eigenvalues. Its nonzero eigenvalues are those of the small [d_head, d_head] cyclic
 * permutation W_O · W_U · W_E · W_V; score = Σ Re(λ) / Σ |λ| ∈ [−1, 1].
 */
import { UserError } from '../engine/errors';
import { blockHook } from '../engine/hooks';
import type { Model } from '../engine/types';
import type { ModelConfig } from '../engine/weights';
import type { HeadsResult } from '../protocol/results';
import { eigenvalues } from './eigen';
import { mulberry32 } from '../engine/random';

export interface HeadRef { layer: number; head: number }

/** Parses "L.H" head names (comma-separated or a list); UserError naming a bad one. */
export function parseHeads(list: string | readonly string[], cfg: Pick<ModelConfig, 'nLayers' | 'nHeads'>): HeadRef[] {
  const items = (typeof list === 'string' ? list.split(',') : list).map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new UserError('no heads given: expected a list such as 0.1,2.3 (layer.head)');
  return items.map((s) => {
    const m = /^(\d+)\.(\d+)$/.exec(s);
    if (!m) throw new UserError(`head "${s}" is not layer.head (e.g. 0.1)`);
    const layer = Number(m[1]);
    const head = Number(m[2]);
    if (layer >= cfg.nLayers || head >= cfg.nHeads) throw new UserError(`head "${s}" does not exist: the model has ${cfg.nLayers} layers × ${cfg.nHeads} heads`);
    return { layer, head };
  });
}


export const PATTERN_DETECTORS = ['previous', 'duplicate', 'induction'] as const;
export const DETECTORS = [...PATTERN_DETECTORS, 'copying'] as const;
export type Detector = (typeof DETECTORS)[number];

const ALIASES: Record<string, Detector> = {
  previous: 'previous', previous_token: 'previous', previous_token_head: 'previous', prev: 'previous',
  duplicate: 'duplicate', duplicate_token: 'duplicate', duplicate_token_head: 'duplicate',
  induction: 'induction', induction_head: 'induction',
  copying: 'copying', copy: 'copying',
};

export function parseDetectors(list: readonly string[] | undefined): Detector[] {
  if (!list || list.length === 0) return [...DETECTORS];
  return list.map((s) => {
    const d = ALIASES[s.trim()];
    if (!d) throw new UserError(`unknown head detector "${s}": expected one of ${DETECTORS.join(', ')}`);
    return d;
  });
}

/** The TransformerLens target pattern [T, T] (query, key) of a detector on one token sequence. */
export function detectionPattern(detector: (typeof PATTERN_DETECTORS)[number], tokens: readonly number[]): Float64Array {
  const T = tokens.length;
  const target = new Float64Array(T * T);
  for (let i = 0; i < T; i++) {
    if (detector === 'previous') {
      if (i > 0) target[i * T + i - 1] = 1;
      continue;
    }
    for (let j = 0; j < i; j++) {
      if (tokens[j] !== tokens[i]) continue;
      if (detector === 'duplicate') target[i * T + j] = 1;
      else if (j + 1 <= i) target[i * T + j + 1] = 1;
    }
  }
  return target;
}

/** BOS + n random tokens, repeated twice: [batch][1 + 2n]. */
export function repeatedRandomTokens(model: Model, batch: number, n: number, seed: number): number[][] {
  const rand = mulberry32(seed);
  const V = Math.min(model.tokenizer.vocabSize, model.cfg.dVocab);
  const bos = model.tokenizer.bosTokenId;
  return Array.from({ length: batch }, () => {
    const half: number[] = [];
    while (half.length < n) {
      const t = Math.floor(rand() * V);
      if (t !== bos) half.push(t);
    }
    return [bos, ...half, ...half];
  });
}

/** Copying score per head [L*H] from the OV-circuit eigenvalues (see module comment). */
export function copyingScores(model: Model): number[] {
  const { nLayers, nHeads, dHead: dh, dModel: d } = model.cfg;
  const { W_E, W_U } = model.weights;
  const V = Math.min(W_E.dims[0], W_U.dims[1]);
  // UE = W_U · W_E  [d, d], the one product that runs over the vocabulary.
  const UE = new Float64Array(d * d);
  const eRow = new Float64Array(d);
  for (let v = 0; v < V; v++) {
    for (let j = 0; j < d; j++) eRow[j] = W_E.data[v * d + j];
    for (let i = 0; i < d; i++) {
      const u = W_U.data[i * W_U.dims[1] + v];
      const o = i * d;
      for (let j = 0; j < d; j++) UE[o + j] += u * eRow[j];
    }
  }
  const scores: number[] = [];
  for (let l = 0; l < nLayers; l++) {
    const { W_O, W_V } = model.weights.blocks[l];
    for (let h = 0; h < nHeads; h++) {
      // A = W_O[h] · UE  [dh, d]; M = A · W_V[h]  [dh, dh]
      const A = new Float64Array(dh * d);
      for (let k = 0; k < dh; k++) {
        for (let i = 0; i < d; i++) {
          const o = W_O.data[(h * dh + k) * d + i];
          if (o === 0) continue;
          for (let j = 0; j < d; j++) A[k * d + j] += o * UE[i * d + j];
        }
      }
      const M = new Float64Array(dh * dh);
      for (let k = 0; k < dh; k++) {
        for (let j = 0; j < d; j++) {
          const a = A[k * d + j];
          for (let m = 0; m < dh; m++) M[k * dh + m] += a * W_V.data[(h * d + j) * dh + m];
        }
      }
      const ev = eigenvalues(M, dh);
      let re = 0;
      let abs = 0;
      for (const e of ev) {
        re += e.re;
        abs += Math.hypot(e.re, e.im);
      }
      scores.push(abs === 0 ? 0 : re / abs);
    }
  }
  return scores;
}

export async function detectHeads(
  model: Model,
  opts: { detect?: string[]; seqLen?: number; batch?: number; seed?: number; signal?: AbortSignal } = {},
): Promise<HeadsResult> {
  const detectors = parseDetectors(opts.detect);
  const { nLayers, nHeads } = model.cfg;
  const n = opts.seqLen ?? 24;
  const batch = opts.batch ?? 12;
  if (!Number.isInteger(n) || n < 1 || 2 * n + 1 > model.cfg.nCtx) throw new UserError(`sequence length ${n} must be a positive integer with 2·n+1 ≤ ${model.cfg.nCtx} (the context)`);
  if (!Number.isInteger(batch) || batch < 1) throw new UserError(`batch ${batch} must be a positive integer`);
  const scores: HeadsResult['scores'] = {};
  const patternDetectors = detectors.filter((d): d is (typeof PATTERN_DETECTORS)[number] => d !== 'copying');
  if (patternDetectors.length > 0) {
    const seqs = repeatedRandomTokens(model, batch, n, opts.seed ?? 0);
    const T = 2 * n + 1;
    const hooks = Array.from({ length: nLayers }, (_, l) => blockHook(l, 'attn.hook_pattern'));
    const out = await model.run({ tokens: seqs, cache: hooks, output: { kind: 'none' }, signal: opts.signal });
    for (const det of patternDetectors) {
      const s = new Array<number>(nLayers * nHeads).fill(0);
      seqs.forEach((seq, b) => {
        const target = detectionPattern(det, seq);
        for (let l = 0; l < nLayers; l++) {
          const p = out.cache.get(hooks[l]);
          if (!p) throw new Error(`the engine did not return ${hooks[l]}`);
          for (let h = 0; h < nHeads; h++) {
            const base = (b * nHeads + h) * T * T;
            let hit = 0;
            let all = 0;
            for (let i = 0; i < T * T; i++) {
              const a = p.data[base + i];
              hit += a * target[i];
              all += a;
            }
            s[l * nHeads + h] += hit / all / batch;
          }
        }
      });
      scores[det] = s;
    }
  }
  if (detectors.includes('copying')) scores.copying = copyingScores(model);
  return { dims: [nLayers, nHeads], scores };
}
