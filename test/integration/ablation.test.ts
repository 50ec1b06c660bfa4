/**
 * Head ablation on the demo model against the float64 reference forward with a patch
 * callback on hook_z: zero ablation = z of the heads set to 0; mean ablation = z replaced
 * by its mean over the prompt's positions. Per-token losses must match.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/engine/load';
import type { Model } from '../../src/engine/types';
import { ablateHeads, textWindows } from '../../src/analysis/ablation';
import { forward64, type Patch64 } from '../support/reference64';

const PROMPT = 'When Mary and John went to the store, John gave a drink to Mary';
const HEADS = [{ layer: 0, head: 1 }, { layer: 2, head: 2 }];
let model: Model;
before(async () => {
  model = await loadModel({ device: 'cpu' });
});
after(async () => model?.dispose());

/** Reference per-token loss [T−1] with the heads' z replaced by `fill(layer, head, z, T)`. */
function referenceLoss(tokens: number[], fill?: (z: Float64Array, T: number, head: number) => void): number[] {
  const patches = new Map<string, Patch64>();
  if (fill) {
    for (const { layer, head } of HEADS) {
      const name = `blocks.${layer}.attn.hook_z`;
      const prev = patches.get(name);
      patches.set(name, (z, dims) => {
        prev?.(z, dims);
        fill(z, dims[1], head);
      });
    }
  }
  const f = forward64(model.weights, tokens, { patches });
  const V = model.weights.W_U.dims[1];
  return tokens.slice(1).map((next, t) => {
    const row = f.logits.subarray(t * V, (t + 1) * V);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let s = 0;
    for (const v of row) s += Math.exp(v - max);
    return max + Math.log(s) - row[next];
  });
}

function assertClose(got: number[], want: number[], what: string): void {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 2e-3, `${what} at ${i}: ${g} vs ${want[i]}`));
}

test('zero ablation equals patching the heads\' z with zeros in the float64 reference', async () => {
  const tokens = model.tokenizer.encode(PROMPT);
  const { nHeads: H, dHead: dh } = model.cfg;
  const r = await ablateHeads(model, { heads: ['0.1', '2.2'], prompt: PROMPT, mode: 'zero' });
  assert.deepEqual(r.heads, ['0.1', '2.2']);
  assertClose(r.perToken.map((p) => p.lossClean), referenceLoss(tokens), 'clean loss');
  const zero = referenceLoss(tokens, (z, T, h) => {
    for (let t = 0; t < T; t++) z.fill(0, (t * H + h) * dh, (t * H + h + 1) * dh);
  });
  assertClose(r.perToken.map((p) => p.lossAblated), zero, 'ablated loss');
  const mean = zero.reduce((a, b) => a + b, 0) / zero.length;
  assert.ok(Math.abs(r.lossAblated - mean) < 2e-3);
  // The top tokens are the largest loss increases, in order.
  const deltas = r.perToken.map((p) => p.delta).sort((a, b) => b - a);
  assert.deepEqual(r.topTokens.map((t) => t.delta), deltas.slice(0, r.topTokens.length));
  assert.ok(r.topTokens[0].context.endsWith(`[${r.topTokens[0].next}]`));
});

test("mean ablation replaces z by its mean over the prompt's positions", async () => {
  const tokens = model.tokenizer.encode(PROMPT);
  const { nHeads: H, dHead: dh } = model.cfg;
  const clean = forward64(model.weights, tokens).cache;
  const r = await ablateHeads(model, { heads: ['0.1', '2.2'], prompt: PROMPT, mode: 'mean' });
  const want = referenceLoss(tokens, (z, T, h) => {
    const layer = HEADS.find((x) => x.head === h)!.layer;
    const c = clean.get(`blocks.${layer}.attn.hook_z`)!.data;
    for (let k = 0; k < dh; k++) {
      let m = 0;
      for (let t = 0; t < T; t++) m += c[(t * H + h) * dh + k] / T;
      for (let t = 0; t < T; t++) z[(t * H + h) * dh + k] = m;
    }
  });
  assertClose(r.perToken.map((p) => p.lossAblated), want, 'mean-ablated loss');
});

test('resample ablation is reproducible by seed and changes the loss', async () => {
  const a = await ablateHeads(model, { heads: ['0.0'], prompt: PROMPT, mode: 'resample', seed: 3 });
  const b = await ablateHeads(model, { heads: ['0.0'], prompt: PROMPT, mode: 'resample', seed: 3 });
  assert.deepEqual(a.perToken, b.perToken);
  assert.ok(a.perToken.some((p) => Math.abs(p.delta) > 1e-3));
});

test('long text is split into context-sized windows, each starting with BOS', () => {
  const text = 'the cat sat on the mat and then it went away. '.repeat(5);
  const ids = model.tokenizer.encode(text, { prependBos: false });
  const wins = textWindows(model, text, 16);
  assert.ok(wins.length > 1);
  for (const w of wins) {
    assert.equal(w.tokens[0], model.tokenizer.bosTokenId);
    assert.ok(w.tokens.length <= 16);
  }
  assert.deepEqual(wins.flatMap((w) => w.tokens.slice(1)), ids);
});

test('bad heads and empty text are one-line errors', async () => {
  await assert.rejects(ablateHeads(model, { heads: ['7.0'], prompt: PROMPT }), { name: 'UserError', message: /head "7.0" does not exist/ });
  await assert.rejects(ablateHeads(model, { heads: ['x'], prompt: PROMPT }), { name: 'UserError' });
  await assert.rejects(ablateHeads(model, { heads: ['0.0'], text: '' }), { name: 'UserError' });
});
