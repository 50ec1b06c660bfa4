/**
 * Metrics over logits, as the seed notebooks and TransformerLens compute them. All
 * arithmetic is float64 (logits arrive as float32): the normalised patching metric
 * divides by a small difference, and log-softmax over 50k entries loses bits in float32.
 */
import { UserError } from '../engine/errors';
import type { Tensor } from '../engine/tensor';

function expectDims(t: Tensor, rank: number, what: string): void {
  if (t.dims.length !== rank) {
    throw new Error(`${what}: expected a rank-${rank} tensor, got dims [${t.dims.join(', ')}]`);
  }
}

/**
 * Logit difference per prompt, answer − wrong, from `columns` logits `[batch, 2]`
 * (column 0 the answer, column 1 the wrong token, as a `columns` run returns them).
 */
export function logitDiff(logits: Tensor /* [batch, 2] */): Float64Array {
  expectDims(logits, 2, 'logitDiff');
  const [b, k] = logits.dims;
  if (k !== 2) throw new Error(`logitDiff: expected [batch, 2] logits (answer, wrong), got [${b}, ${k}]`);
  const out = new Float64Array(b);
  for (let i = 0; i < b; i++) out[i] = logits.data[i * 2] - logits.data[i * 2 + 1];
  return out;
}

/** Mean over prompts of answer − wrong: `logits_to_ave_logit_diff` of the IOI notebook. */
export function meanLogitDiff(logits: Tensor /* [batch, 2] */): number {
  return mean(logitDiff(logits));
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) throw new Error('mean of no values');
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/**
 * The patching metric: (patched − corrupted) / (clean − corrupted), so the corrupted run
 * scores 0 and the clean run 1. Undefined when clean and corrupted agree: then the
 * prompt set does not separate the two runs and no patch can be measured.
 */
export function normalisedMetric(patched: number, clean: number, corrupted: number): number {
  const denom = clean - corrupted;
  if (denom === 0 || !Number.isFinite(denom)) {
    throw new UserError(
      `clean and corrupted metrics are equal (${clean}); the corrupted prompts must change the answer for patching to be measured`,
    );
  }
  return (patched - corrupted) / denom;
}

/** Log-softmax of one row in float64 (max-shifted, as torch's log_softmax). */
export function logSoftmax64(row: ArrayLike<number>): Float64Array {
  const n = row.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(row[i] - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = row[i] - lse;
  return out;
}

/**
 * TransformerLens `lm_cross_entropy_loss(..., per_token=True)` for one sequence:
 * position t predicts tokens[t + 1], so the result has T − 1 entries.
 */
export function perTokenLoss(logits: Tensor /* [1, pos, d_vocab] */, tokens: ArrayLike<number>): Float64Array {
  expectDims(logits, 3, 'perTokenLoss');
  const [b, t, v] = logits.dims;
  if (b !== 1) throw new Error(`perTokenLoss: expected one sequence, got batch ${b}`);
  if (tokens.length !== t) throw new Error(`perTokenLoss: ${tokens.length} tokens for ${t} positions of logits`);
  const out = new Float64Array(Math.max(0, t - 1));
  for (let p = 0; p + 1 < t; p++) {
    const row = logits.data.subarray(p * v, (p + 1) * v);
    const next = tokens[p + 1];
    if (!(next >= 0 && next < v)) throw new Error(`perTokenLoss: token id ${next} outside d_vocab ${v}`);
    out[p] = -logSoftmax64(row)[next];
  }
  return out;
}

/** Probability of `token` under the softmax of one logits row. */
export function answerProb(row: ArrayLike<number>, token: number): number {
  if (!(token >= 0 && token < row.length)) throw new Error(`answerProb: token id ${token} outside a row of ${row.length}`);
  return Math.exp(logSoftmax64(row)[token]);
}

/** Rank of `token` in a logits row: 0 for the top token (ties count in its favour). */
export function tokenRank(row: ArrayLike<number>, token: number): number {
  const x = row[token];
  let rank = 0;
  for (let i = 0; i < row.length; i++) if (row[i] > x) rank++;
  return rank;
}

/** The k largest entries of a row, largest first; ties keep the lower index first (stable). */
export function topK(row: ArrayLike<number>, k: number): { index: number; value: number }[] {
  const n = row.length;
  const kk = Math.max(0, Math.min(k, n));
  // A sorted buffer of k is O(n·k) in the worst case but O(n) for the k ≤ 50 the UI asks.
  const best: { index: number; value: number }[] = [];
  for (let i = 0; i < n; i++) {
    const v = row[i];
    if (best.length === kk && (kk === 0 || !(v > best[kk - 1].value))) continue;
    let j = best.length;
    while (j > 0 && v > best[j - 1].value) j--;
    best.splice(j, 0, { index: i, value: v });
    if (best.length > kk) best.pop();
  }
  return best;
}
