/**
 * Checkpoint loading end to end on tiny random HF-format checkpoints: the canonical
 * mapping reproduces the raw HF forward pass (test/support/hfReference64.ts, written from
 * the HF modelling code) through the float64 canonical forward (reference64.ts); the
 * processed weights give the same softmax; dtypes, shards and bad folders.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadCanonicalWeights } from '../../src/engine/checkpoint/load';
import { SafetensorsFile, writeSafetensors } from '../../src/engine/checkpoint/safetensors';
import type { WritableTensor } from '../../src/engine/checkpoint/safetensors';
import { DEFAULT_PROCESSING, NO_PROCESSING } from '../../src/engine/weights';
import { hfForward64 } from '../support/hfReference64';
import { forward64 } from '../support/reference64';
import { makeTinyCheckpoint } from '../support/tinyCheckpoint';
import type { TinyCheckpointOptions } from '../support/tinyCheckpoint';
import { expectUserError } from '../support/userErrors';

const root = mkdtempSync(join(tmpdir(), 'ce-ckpt-'));
after(() => rmSync(root, { recursive: true, force: true }));
const TOKENS = [50256, 464, 3290, 318, 257, 922, 11, 290, 262, 3290, 2];
let n = 0;
const make = (o: TinyCheckpointOptions) => makeTinyCheckpoint(join(root, `m${n++}`), o);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function logSoftmax(logits: Float64Array, V: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let t = 0; t < logits.length / V; t++) {
    const row = logits.subarray(t * V, (t + 1) * V);
    const mx = row.reduce((a, x) => Math.max(a, x), -Infinity);
    const lse = mx + Math.log(row.reduce((a, x) => a + Math.exp(x - mx), 0));
    for (let v = 0; v < V; v++) out[t * V + v] = row[v] - lse;
  }
  return out;
}

const cases: [string, TinyCheckpointOptions][] = [
  ['GPT-2', { arch: 'gpt2', seed: 11 }],
  ['GPT-2 saved from GPT2LMHeadModel (transformer. prefix, lm_head)', { arch: 'gpt2', seed: 12, lmHeadPrefix: true, nLayers: 1 }],
  ['NeoX (parallel, rotary 50%)', { arch: 'gpt_neox', seed: 13 }],
  ['NeoX sequential residual, Pythia rotary 25%, d_head 16', { arch: 'gpt_neox', seed: 14, parallel: false, rotaryPct: 0.25, nHeads: 2 }],
];

for (const [name, opts] of cases) {
  describe(`checkpoint ${name}`, async () => {
    const dir = make(opts);
    const hf = await hfForward64(dir, TOKENS);
    const V = hf.vocab;
    const spread = hf.logits.reduce((a, x) => Math.max(a, x), -Infinity) - hf.logits.reduce((a, x) => Math.min(a, x), Infinity);

    it('the HF reference logits are non-trivial', () => assert.ok(spread > 2, `spread ${spread}`));

    it('unprocessed canonical weights reproduce the HF logits', async () => {
      const w = await loadCanonicalWeights(dir, NO_PROCESSING);
      assert.equal(w.cfg.dVocab, V);
      const d = maxDiff(forward64(w, TOKENS).logits, hf.logits);
      assert.ok(d < 1e-6, `max |diff| ${d}`);
    });

    it('processed weights (TL defaults) give the same log-softmax', async () => {
      const w = await loadCanonicalWeights(dir, DEFAULT_PROCESSING);
      assert.deepEqual(w.processing, DEFAULT_PROCESSING);
      const d = maxDiff(logSoftmax(forward64(w, TOKENS).logits, V), logSoftmax(hf.logits, V));
      assert.ok(d < 1e-4, `max |diff| ${d}`);
    });
  });
}

describe('checkpoint dtypes and shards', () => {
  it('F16 and BF16 checkpoints load, match the HF forward, and are the F32 weights rounded', async () => {
    const f32 = await loadCanonicalWeights(make({ arch: 'gpt2', seed: 21, nLayers: 1 }), NO_PROCESSING);
    for (const [dtype, bits] of [['F16', 11], ['BF16', 8]] as const) {
      const dir = make({ arch: 'gpt2', seed: 21, nLayers: 1, dtype });
      const w = await loadCanonicalWeights(dir, NO_PROCESSING);
      const a = f32.blocks[0].W_Q.data, b = w.blocks[0].W_Q.data;
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= Math.abs(a[i]) * 2 ** -bits + 2 ** -24, `${dtype} ${a[i]} vs ${b[i]}`);
      assert.ok(maxDiff(a, b) > 0, `${dtype} should differ from F32 somewhere`);
      const d = maxDiff(forward64(w, TOKENS).logits, (await hfForward64(dir, TOKENS)).logits);
      assert.ok(d < 1e-6, `${dtype} max |diff| ${d}`);
    }
  });

  it('a sharded checkpoint (model.safetensors.index.json) loads the same weights', async () => {
    const one = await loadCanonicalWeights(make({ arch: 'gpt_neox', seed: 31, nLayers: 1 }), NO_PROCESSING);
    const three = await loadCanonicalWeights(make({ arch: 'gpt_neox', seed: 31, nLayers: 1, shards: 3 }), NO_PROCESSING);
    assert.equal(maxDiff(one.W_U.data, three.W_U.data), 0);
    assert.equal(maxDiff(one.blocks[0].W_K.data, three.blocks[0].W_K.data), 0);
  });
});

describe('bad checkpoint folders give one-line UserErrors naming the file', () => {
  const good = make({ arch: 'gpt2', seed: 41, nLayers: 1 });
  const copy = () => {
    const dir = join(root, `bad${n++}`);
    cpSync(good, dir, { recursive: true });
    return dir;
  };

  it('truncated model.safetensors', async () => {
    const dir = copy();
    const file = join(dir, 'model.safetensors');
    truncateSync(file, Math.floor(statSync(file).size / 2));
    await expectUserError(loadCanonicalWeights(dir, NO_PROCESSING), [file]);
  });

  it('config.json that is not JSON', async () => {
    const dir = copy();
    writeFileSync(join(dir, 'config.json'), '{"model_type": "gpt2",');
    await expectUserError(loadCanonicalWeights(dir, NO_PROCESSING), [join(dir, 'config.json')]);
  });

  it('missing tensor', async () => {
    const dir = copy();
    const file = join(dir, 'model.safetensors');
    const st = await SafetensorsFile.open(file);
    const kept: Record<string, WritableTensor> = {};
    for (const name of st.names()) if (name !== 'h.0.mlp.c_fc.bias') kept[name] = await st.read(name);
    await st.close();
    writeSafetensors(file, kept);
    await expectUserError(loadCanonicalWeights(dir, NO_PROCESSING), ["'h.0.mlp.c_fc.bias'", file]);
  });

  it('unknown architecture', async () => {
    const dir = copy();
    const cfgPath = join(dir, 'config.json');
    writeFileSync(cfgPath, JSON.stringify({ ...JSON.parse(readFileSync(cfgPath, 'utf8')), model_type: 'llama' }));
    await expectUserError(loadCanonicalWeights(dir, NO_PROCESSING), [
      `unknown architecture 'llama' in ${cfgPath}: supported are gpt2, gpt_neox`,
    ]);
  });

  it('a folder without config.json', async () => {
    await expectUserError(loadCanonicalWeights(join(root, 'nothing-here'), NO_PROCESSING), ['nothing-here']);
  });
});
