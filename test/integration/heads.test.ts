/**
 * Head detectors: the TransformerLens target patterns on a hand-checked sequence, the
 * demo model's known heads (model card: previous-token L0H0 ≈ 0.25, no induction head),
 * and the copying score's numerator against the trace of the full [V, V] OV circuit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/engine/load';
import type { Model } from '../../src/engine/types';
import { copyingScores, detectHeads, detectionPattern } from '../../src/analysis/heads';
import { eigenvalues } from '../../src/analysis/eigen';

let model: Model;
before(async () => {
  model = await loadModel({ device: 'cpu' });
});
after(async () => model?.dispose());

const ones = (p: Float64Array, T: number): string[] => {
  const out: string[] = [];
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) if (p[i * T + j]) out.push(`${i}>${j}`);
  return out;
};

test('target patterns on BOS a b a b', () => {
  const seq = [9, 1, 2, 1, 2];
  assert.deepEqual(ones(detectionPattern('previous', seq), 5), ['1>0', '2>1', '3>2', '4>3']);
  assert.deepEqual(ones(detectionPattern('duplicate', seq), 5), ['3>1', '4>2']);
  assert.deepEqual(ones(detectionPattern('induction', seq), 5), ['3>2', '4>3']);
});

test('the demo model: L0H0 is the previous-token head, no induction head', async () => {
  const r = await detectHeads(model, { detect: ['previous', 'induction', 'duplicate'] });
  const { nLayers: L, nHeads: H } = model.cfg;
  assert.deepEqual(r.dims, [L, H]);
  const prev = r.scores.previous;
  const best = prev.indexOf(Math.max(...prev));
  assert.equal(best, 0, `strongest previous-token head is ${Math.floor(best / H)}.${best % H}`);
  assert.ok(prev[0] > 0.2 && prev[0] < 0.3, `L0H0 previous-token score ${prev[0]}`);
  assert.ok(Math.max(...r.scores.induction) < 0.1);
  for (const v of [...prev, ...r.scores.induction, ...r.scores.duplicate]) assert.ok(v >= 0 && v <= 1);
  assert.equal(r.scores.copying, undefined);
});

test('copying score equals the one from the [d_model, d_model] OV circuit W_V W_O W_U W_E (same nonzero spectrum)', () => {
  const scores = copyingScores(model);
  assert.equal(scores.length, model.cfg.nLayers * model.cfg.nHeads);
  for (const s of scores) assert.ok(s >= -1 - 1e-9 && s <= 1 + 1e-9);
  // Layer 1 head 2, by another route: the full-width [d, d] matrix, whose extra eigenvalues are 0.
  const { dModel: d, dHead: dh } = model.cfg;
  const l = 1, h = 2;
  const { W_V, W_O } = model.weights.blocks[l];
  const { W_E, W_U } = model.weights;
  const V = W_U.dims[1];
  const OV = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < dh; k++) {
    const v = W_V.data[(h * d + i) * dh + k];
    for (let j = 0; j < d; j++) OV[i * d + j] += v * W_O.data[(h * dh + k) * d + j];
  }
  const UE = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let t = 0; t < V; t++) {
    const u = W_U.data[i * V + t];
    for (let j = 0; j < d; j++) UE[i * d + j] += u * W_E.data[t * d + j];
  }
  const M = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) {
    const a = OV[i * d + k];
    for (let j = 0; j < d; j++) M[i * d + j] += a * UE[k * d + j];
  }
  const ev = eigenvalues(M, d);
  const re = ev.reduce((s, e) => s + e.re, 0);
  const abs = ev.reduce((s, e) => s + Math.hypot(e.re, e.im), 0);
  const s = scores[l * model.cfg.nHeads + h];
  assert.ok(Math.abs(s - re / abs) < 1e-6, `score ${s} vs full-width ${re / abs}`);
});

test('unknown detectors are one-line errors', async () => {
  await assert.rejects(detectHeads(model, { detect: ['inductoin'] }), { name: 'UserError', message: /unknown head detector "inductoin"/ });
});
