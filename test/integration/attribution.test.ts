/**
 * DLA on the demo model, checked against invariants and the float64 reference:
 * the pieces plus the bias term add up to the logit difference (weight processing on
 * and off), that logit difference is the reference forward's, and the heads of a layer
 * add up to the layer's attn_out piece minus its b_O part.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/engine/load';
import { NO_PROCESSING } from '../../src/engine/weights';
import type { Model } from '../../src/engine/types';
import { directLogitAttribution, type DlaPrompt } from '../../src/analysis/attribution';
import { forward64 } from '../support/reference64';

const PROMPTS = [
  { text: 'When Mary and John went to the store, John gave a drink to', answer: ' Mary', wrong: ' John' },
  { text: 'When Tom and Anna went to the park, Anna gave a ball to', answer: ' Tom', wrong: ' Anna' },
  { text: 'It was all about salt and', answer: ' pepper', wrong: ' chips' },
];

function prompts(model: Model): DlaPrompt[] {
  return PROMPTS.map((p) => ({ tokens: model.tokenizer.encode(p.text), answer: model.tokenizer.singleToken(p.answer), wrong: model.tokenizer.singleToken(p.wrong) }));
}

/** Reference: mean logit difference and, per layer, the b_O piece, in float64 from forward64. */
function reference(model: Model, ps: DlaPrompt[]): { diff: number; bO: number[] } {
  const w = model.weights;
  const { dModel: d, nLayers } = model.cfg;
  const V = w.W_U.dims[1];
  let diff = 0;
  const bO = new Array<number>(nLayers).fill(0);
  for (const p of ps) {
    const T = p.tokens.length;
    const f = forward64(w, p.tokens);
    diff += f.logits[(T - 1) * V + p.answer] - f.logits[(T - 1) * V + p.wrong];
    const scale = f.cache.get('ln_final.hook_scale')!.data[T - 1];
    for (let l = 0; l < nLayers; l++) {
      const b = w.blocks[l].b_O.data;
      let mean = 0;
      for (let i = 0; i < d; i++) mean += b[i] / d;
      let s = 0;
      for (let i = 0; i < d; i++) {
        const delta = w.W_U.data[i * V + p.answer] - w.W_U.data[i * V + p.wrong];
        s += ((b[i] - mean) / scale) * delta * (w.lnFinal ? w.lnFinal.w.data[i] : 1);
      }
      bO[l] += s;
    }
  }
  return { diff: diff / ps.length, bO: bO.map((v) => v / ps.length) };
}

for (const [name, processing] of [['weight processing on', undefined], ['weight processing off', NO_PROCESSING]] as const) {
  describe(`DLA on the demo model, ${name}`, () => {
    let model: Model;
    before(async () => {
      model = await loadModel({ device: 'cpu', processing });
    });
    after(async () => model?.dispose());

    test('pieces + bias term = logit difference = the reference forward', async () => {
      const ps = prompts(model);
      const r = await directLogitAttribution(model, ps);
      const pieces = r.layers.values.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(pieces + r.biasTerm - r.actual) < 1e-4, `Σ pieces ${pieces} + bias ${r.biasTerm} vs actual ${r.actual}`);
      assert.ok(Math.abs(r.total - r.actual) < 1e-4);
      const ref = reference(model, ps);
      assert.ok(Math.abs(r.actual - ref.diff) < 1e-3, `actual ${r.actual} vs float64 ${ref.diff}`);
      assert.equal(r.layers.labels[0], 'embed');
      assert.equal(r.layers.labels.length, 2 + 2 * model.cfg.nLayers);
      // Processing off keeps ln_final's bias: it must show up in the bias term.
      if (processing) assert.ok(model.weights.lnFinal !== null);
    });

    test("a layer's heads sum to its attn_out piece minus the b_O part", async () => {
      const ps = prompts(model);
      const r = await directLogitAttribution(model, ps);
      const ref = reference(model, ps);
      const { nLayers, nHeads } = model.cfg;
      for (let l = 0; l < nLayers; l++) {
        const heads = r.heads.values.slice(l * nHeads, (l + 1) * nHeads).reduce((a, b) => a + b, 0);
        const attn = r.layers.values[r.layers.labels.indexOf(`${l} attn`)];
        assert.ok(Math.abs(heads - (attn - ref.bO[l])) < 1e-4, `layer ${l}: heads ${heads} vs attn ${attn} − b_O ${ref.bO[l]}`);
      }
    });
  });
}
