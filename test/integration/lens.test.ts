/**
 * Logit lens on the demo model against the float64 reference forward: the last layer in
 * 'own-scale' mode is the model's real next-token distribution; in 'final-scale' mode it
 * is softmax of the logits without b_U (TransformerLens accumulated_resid, apply_ln=True).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/engine/load';
import type { Model } from '../../src/engine/types';
import { logitLens } from '../../src/analysis/logitLens';
import { forward64 } from '../support/reference64';

const PROMPT = 'It was all about salt and';
let model: Model;
before(async () => {
  model = await loadModel({ device: 'cpu' });
});
after(async () => model?.dispose());

/** Softmax of the reference's last-position logits, optionally minus b_U. */
function referenceProbs(withoutBias: boolean): Float64Array {
  const tokens = model.tokenizer.encode(PROMPT);
  const V = model.weights.W_U.dims[1];
  const f = forward64(model.weights, tokens);
  const row = f.logits.slice((tokens.length - 1) * V, tokens.length * V);
  if (withoutBias) for (let i = 0; i < V; i++) row[i] -= model.weights.b_U.data[i];
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let s = 0;
  for (const v of row) s += Math.exp(v - max);
  return row.map((v) => Math.exp(v - max) / s);
}

for (const mode of ['own-scale', 'final-scale'] as const) {
  test(`${mode}: the last layer equals the reference's top tokens and probabilities`, async () => {
    const r = await logitLens(model, { prompt: PROMPT, mode, tokens: [' pepper'], topK: 5 });
    assert.equal(r.mode, mode);
    assert.equal(r.layers.length, model.cfg.nLayers + 1);
    assert.deepEqual(r.layers.map((l) => l.label), ['0_pre', '1_pre', '2_pre', 'final_post']);
    const probs = referenceProbs(mode === 'final-scale');
    const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a]).slice(0, 5);
    const last = r.layers[r.layers.length - 1];
    assert.deepEqual(last.top.map((t) => t.id), order);
    last.top.forEach((t) => assert.ok(Math.abs(t.prob - probs[t.id]) < 1e-4, `${t.token}: ${t.prob} vs ${probs[t.id]}`));
    const pepper = model.tokenizer.singleToken(' pepper');
    assert.ok(Math.abs(last.tracked[' pepper'].prob - probs[pepper]) < 1e-4);
    assert.equal(last.tracked[' pepper'].rank, order.indexOf(pepper));
  });
}

test('positions count from the end and out-of-range positions are a one-line error', async () => {
  const r = await logitLens(model, { prompt: PROMPT, pos: -2 });
  assert.equal(r.pos, r.strTokens.length - 2);
  await assert.rejects(logitLens(model, { prompt: PROMPT, pos: 99 }), { name: 'UserError', message: /--pos 99 is outside/ });
});
