/**
 * The engine on real checkpoint files: tiny seeded Hugging Face checkpoints (GPT-2 and
 * GPT-NeoX) loaded through loadModel with TransformerLens processing on and off, checked
 * hook by hook against the float64 reference on the same canonical weights; and the
 * bundled demo model's known prediction (models/circuit-demo-gpt2-3l/CARD.md).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { allHookNames } from '../../src/engine/hooks';
import { loadModel } from '../../src/engine/load';
import type { Model } from '../../src/engine/types';
import { DEFAULT_PROCESSING, NO_PROCESSING } from '../../src/engine/weights';
import { forward64, logitsAct, rowMismatch } from '../support/reference64';
import { makeTinyCheckpoint } from '../support/tinyCheckpoint';

function softmaxRow(x: Float32Array, off: number, V: number): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < V; i++) m = Math.max(m, x[off + i]);
  const p = new Float64Array(V);
  let s = 0;
  for (let i = 0; i < V; i++) s += p[i] = Math.exp(x[off + i] - m);
  for (let i = 0; i < V; i++) p[i] /= s;
  return p;
}

for (const arch of ['gpt2', 'gpt_neox'] as const) {
  describe(`tiny ${arch} checkpoint through loadModel`, () => {
    let dir: string;
    const models: { processed?: Model; raw?: Model } = {};
    const tokens = [5, 311, 42, 7, 1999, 42, 256, 9];

    before(async () => {
      dir = makeTinyCheckpoint(mkdtempSync(join(tmpdir(), `ce-engine-${arch}-`)), { arch, seed: 11 });
      models.processed = await loadModel({ model: dir, device: 'cpu', processing: DEFAULT_PROCESSING });
      models.raw = await loadModel({ model: dir, device: 'cpu', processing: NO_PROCESSING });
    });
    after(async () => {
      await models.processed?.dispose();
      await models.raw?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const which of ['processed', 'raw'] as const) {
      it(`${which} weights: logits and every hook equal the float64 reference`, async () => {
        const m = models[which]!;
        const hooks = allHookNames(m.cfg.nLayers, m.cfg.parallelAttnMlp, m.cfg.positional === 'rotary');
        const res = await m.run({ tokens: [tokens], cache: hooks });
        const ref = forward64(m.weights, tokens);
        for (const h of hooks) {
          const bad = rowMismatch(res.cache.get(h)!, 0, ref.cache.get(h)!);
          assert.equal(bad, null, `${h}: ${bad}`);
        }
        const bad = rowMismatch(res.logits!, 0, logitsAct(ref.logits, tokens.length));
        assert.equal(bad, null, `logits: ${bad}`);
      });
    }

    it('processed and unprocessed weights give the same next-token probabilities', async () => {
      const [a, b] = await Promise.all([models.processed!.run({ tokens: [tokens] }), models.raw!.run({ tokens: [tokens] })]);
      const V = models.raw!.cfg.dVocab;
      for (let t = 0; t < tokens.length; t++) {
        const pa = softmaxRow(a.logits!.data, t * V, V);
        const pb = softmaxRow(b.logits!.data, t * V, V);
        let worst = 0;
        for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(pa[i] - pb[i]));
        assert.ok(worst < 1e-5, `position ${t}: probabilities differ by ${worst}`);
      }
    });
  });
}

describe('bundled demo model (circuit-demo-gpt2-3l)', () => {
  let model: Model;
  before(async () => {
    model = await loadModel({ device: 'cpu' });
  });
  after(async () => model.dispose());

  it('predicts " pepper" after "It was all about salt and" with probability ≈ 0.94 (CARD.md)', async () => {
    const toks = model.tokenizer.encode('It was all about salt and');
    assert.equal(toks[0], 50256, 'BOS first');
    const res = await model.run({ tokens: [toks], output: { kind: 'logits', positions: [-1] } });
    const p = softmaxRow(res.logits!.data, 0, model.cfg.dVocab);
    const pepper = model.tokenizer.singleToken(' pepper');
    let argmax = 0;
    for (let i = 1; i < p.length; i++) if (p[i] > p[argmax]) argmax = i;
    assert.equal(argmax, pepper);
    assert.ok(Math.abs(p[pepper] - 0.94) < 0.01, `p(" pepper") = ${p[pepper]}`);
  });
});
