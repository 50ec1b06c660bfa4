import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  answerProb,
  logitDiff,
  logSoftmax64,
  mean,
  meanLogitDiff,
  normalisedMetric,
  perTokenLoss,
  tokenRank,
  topK,
} from '../../src/analysis/metrics';
import { UserError } from '../../src/engine/errors';
import { tensor } from '../../src/engine/tensor';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

describe('metrics', () => {
  it('logit difference per prompt and mean', () => {
    const logits = tensor([3, 2], [2, 0.5, -1, 1, 4, 4]);
    assert.deepEqual([...logitDiff(logits)], [1.5, -2, 0]);
    close(meanLogitDiff(logits), (1.5 - 2 + 0) / 3);
    assert.throws(() => logitDiff(tensor([2, 3])), /\[batch, 2\]/);
    assert.throws(() => mean([]));
  });

  it('normalised metric: corrupted → 0, clean → 1, midpoint → 0.5, as the IOI notebook asserts', () => {
    // Numbers of seed 001: clean 2.7098, corrupted -2.7098.
    close(normalisedMetric(-2.7098, 2.7098, -2.7098), 0);
    close(normalisedMetric(2.7098, 2.7098, -2.7098), 1);
    close(normalisedMetric(0, 2.7098, -2.7098), 0.5);
    close(normalisedMetric(3, 1, -1), 2);
    assert.throws(() => normalisedMetric(1, 0.25, 0.25), (e: unknown) => e instanceof UserError && /equal/.test(e.message));
  });

  it('log-softmax in float64 by hand, and stable for large logits', () => {
    // log-softmax([0, ln 3]) = [ln 1/4, ln 3/4]
    const ls = logSoftmax64([0, Math.log(3)]);
    close(ls[0], Math.log(0.25));
    close(ls[1], Math.log(0.75));
    // exp would overflow without the max shift.
    const big = logSoftmax64([1000, 1000]);
    close(big[0], -Math.LN2);
    close(big[1], -Math.LN2);
  });

  it('per-token loss: position t predicts token t+1 (lm_cross_entropy_loss)', () => {
    // T = 3, V = 2. Row 0 uniform, row 1 [0, ln 3], row 2 ignored (no next token).
    const logits = tensor([1, 3, 2], [0, 0, 0, Math.log(3), 5, -5]);
    const loss = perTokenLoss(logits, [1, 0, 1]);
    assert.equal(loss.length, 2);
    close(loss[0], Math.LN2, 1e-7); // −log(1/2), token 0 predicted from row 0
    close(loss[1], -Math.log(0.75), 1e-7); // token 1 from row 1 has prob 3/4
    assert.throws(() => perTokenLoss(logits, [1, 0]), /2 tokens for 3 positions/);
  });

  it('answer probability and rank', () => {
    close(answerProb([0, Math.log(3)], 1), 0.75);
    close(answerProb([1, 1, 1, 1], 2), 0.25);
    assert.equal(tokenRank([0.1, 3, 2, 5], 2), 2);
    assert.equal(tokenRank([0.1, 3, 2, 5], 3), 0);
  });

  it('top-k, largest first, ties by lower index', () => {
    const row = [1, 7, 3, 7, -2, 5];
    assert.deepEqual(topK(row, 3), [
      { index: 1, value: 7 },
      { index: 3, value: 7 },
      { index: 5, value: 5 },
    ]);
    assert.deepEqual(
      topK(row, 10).map((x) => x.index),
      [1, 3, 5, 2, 0, 4],
    );
    assert.deepEqual(topK(row, 0), []);
    // Against a full sort on a longer random row.
    const rnd = Array.from({ length: 500 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
    const ref = rnd.map((value, index) => ({ index, value })).sort((a, b) => b.value - a.value || a.index - b.index);
    assert.deepEqual(topK(rnd, 7), ref.slice(0, 7));
  });
});
