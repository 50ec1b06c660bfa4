/**
 * Weight processing against TransformerLens's invariants, checked with the independent
 * float64 forward (test/support/reference64.ts) on random unprocessed weights:
 * processed logits = raw logits − their vocab mean (center_unembed), softmax unchanged,
 * and each step alone keeps what TransformerLens says it keeps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processWeights } from '../../src/engine/processing';
import { DEFAULT_PROCESSING, NO_PROCESSING } from '../../src/engine/weights';
import type { CanonicalWeights, ProcessingOptions } from '../../src/engine/weights';
import { forward64 } from '../support/reference64';
import { randomWeights, TINY_GPT2, TINY_NEOX } from '../support/randomWeights';

const TOKENS = [3, 17, 5, 42, 9, 3, 17, 1];

function centredOverVocab(logits: Float64Array, V: number): Float64Array {
  const out = Float64Array.from(logits);
  for (let t = 0; t < out.length / V; t++) {
    let m = 0;
    for (let v = 0; v < V; v++) m += out[t * V + v];
    m /= V;
    for (let v = 0; v < V; v++) out[t * V + v] -= m;
  }
  return out;
}

function softmaxRows(logits: Float64Array, V: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let t = 0; t < logits.length / V; t++) {
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, logits[t * V + v]);
    let s = 0;
    for (let v = 0; v < V; v++) s += (out[t * V + v] = Math.exp(logits[t * V + v] - mx));
    for (let v = 0; v < V; v++) out[t * V + v] /= s;
  }
  return out;
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= tol, `${what}: max |diff| ${worst} > ${tol}`);
}

function only(flag: keyof ProcessingOptions): ProcessingOptions {
  return { ...NO_PROCESSING, [flag]: true };
}

for (const cfg of [TINY_GPT2, TINY_NEOX]) {
  describe(`processWeights (${cfg.architecture})`, () => {
    const raw = randomWeights(cfg, 7);
    const V = cfg.dVocab;
    const ref = forward64(raw, TOKENS);
    const spread = Math.max(...ref.logits) - Math.min(...ref.logits);

    it('the reference logits are non-trivial', () => {
      assert.ok(spread > 1, `logit spread ${spread}`);
    });

    it('all defaults: logits equal the raw ones minus their vocab mean; softmax equal', () => {
      const p = processWeights(raw, DEFAULT_PROCESSING);
      const out = forward64(p, TOKENS);
      assertClose(out.logits, centredOverVocab(ref.logits, V), 1e-5, 'logits');
      assertClose(softmaxRows(out.logits, V), softmaxRows(ref.logits, V), 1e-6, 'softmax');
      assert.deepEqual(p.processing, DEFAULT_PROCESSING);
    });

    it('fold_ln alone keeps the logits and leaves LNPre (no affine), reading weights centred along d_model', () => {
      const p = processWeights(raw, only('foldLn'));
      assertClose(forward64(p, TOKENS).logits, ref.logits, 1e-5, 'logits');
      assert.equal(p.lnFinal, null);
      for (const b of p.blocks) {
        assert.equal(b.ln1, null);
        assert.equal(b.ln2, null);
        // W_Q [H, d, dh]: the mean over d_model of every (h, k) column is 0.
        const { nHeads: H, dModel: d, dHead: dh } = cfg;
        for (let h = 0; h < H; h++) for (let k = 0; k < dh; k++) {
          let s = 0;
          for (let m = 0; m < d; m++) s += b.W_Q.data[(h * d + m) * dh + k];
          assert.ok(Math.abs(s / d) < 1e-6);
        }
      }
      for (let v = 0; v < V; v++) {
        let s = 0;
        for (let m = 0; m < cfg.dModel; m++) s += p.W_U.data[m * V + v];
        assert.ok(Math.abs(s / cfg.dModel) < 1e-6, 'W_U centred along d_model');
      }
    });

    it('center_writing_weights alone keeps the logits and makes the residual stream mean-zero', () => {
      const p = processWeights(raw, only('centerWritingWeights'));
      const out = forward64(p, TOKENS);
      assertClose(out.logits, ref.logits, 1e-5, 'logits');
      for (let l = 0; l < cfg.nLayers; l++) {
        const r = out.cache.get(`blocks.${l}.hook_resid_post`)!;
        for (let t = 0; t < TOKENS.length; t++) {
          let s = 0;
          for (let i = 0; i < cfg.dModel; i++) s += r.data[t * cfg.dModel + i];
          assert.ok(Math.abs(s / cfg.dModel) < 1e-5, `resid_post ${l} pos ${t} mean ${s / cfg.dModel}`);
        }
      }
      // The raw residual stream was not mean-zero, so the test above can fail.
      const rr = ref.cache.get(`blocks.0.hook_resid_post`)!;
      assert.ok(Math.abs(rr.data.slice(0, cfg.dModel).reduce((a, b) => a + b, 0)) > 1e-3);
    });

    it('center_unembed alone shifts each position\'s logits by their vocab mean', () => {
      const p = processWeights(raw, only('centerUnembed'));
      assertClose(forward64(p, TOKENS).logits, centredOverVocab(ref.logits, V), 1e-5, 'logits');
    });

    it('fold_value_biases alone: b_V = 0, hook_attn_out unchanged, hook_v changed', () => {
      const p = processWeights(raw, only('foldValueBiases'));
      const out = forward64(p, TOKENS);
      assertClose(out.logits, ref.logits, 1e-5, 'logits');
      for (const b of p.blocks) assert.ok(b.b_V.data.every((x) => x === 0));
      for (let l = 0; l < cfg.nLayers; l++) {
        assertClose(out.cache.get(`blocks.${l}.hook_attn_out`)!.data, ref.cache.get(`blocks.${l}.hook_attn_out`)!.data, 1e-5, 'attn_out');
      }
      const dv = out.cache.get('blocks.0.attn.hook_v')!.data.map((x, i) => x - ref.cache.get('blocks.0.attn.hook_v')!.data[i]);
      assert.ok(dv.some((x) => Math.abs(x) > 1e-3));
    });

    it('does not modify its input, and does not apply a step twice', () => {
      const before = Float32Array.from(raw.W_U.data);
      const once = processWeights(raw, DEFAULT_PROCESSING);
      assert.deepEqual(raw.W_U.data, before);
      assert.deepEqual(raw.processing, NO_PROCESSING);
      const twice: CanonicalWeights = processWeights(once, DEFAULT_PROCESSING);
      assertClose(twice.W_U.data, once.W_U.data, 0, 'W_U');
      assertClose(twice.blocks[0].b_O.data, once.blocks[0].b_O.data, 0, 'b_O');
    });
  });
}
