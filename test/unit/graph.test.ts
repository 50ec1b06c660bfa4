/**
 * The ONNX graphs and HookedModel against the float64 reference (test/support/reference64),
 * on random tiny GPT-2-like and GPT-NeoX-like weights built here (no files).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { allHookNames, type HookName } from '../../src/engine/hooks';
import { HookedModel } from '../../src/engine/hookedModel';
import { tensor, type Tensor } from '../../src/engine/tensor';
import type { TokenizerLike } from '../../src/engine/types';
import type { CanonicalWeights, ModelConfig } from '../../src/engine/weights';
import { forward64, logitsAct, rowMismatch, type Act64 } from '../support/reference64';
import { randomWeights, TINY_GPT2, TINY_NEOX, withoutLnAffine } from '../support/randomWeights';

const stubTokenizer = (cfg: ModelConfig): TokenizerLike => ({
  encode: () => [],
  decode: () => '',
  strTokens: (ids) => ids.map(String),
  singleToken: () => 0,
  bosTokenId: cfg.bosTokenId,
  vocabSize: cfg.dVocab,
});

/** A batch-1 reference activation from position `from` on along `axis` (1 for [1, T, …], 2 for [1, H, T, T]). */
function fromPosition(a: Act64, axis: number, from: number): Act64 {
  const dims = [...a.dims];
  const outer = dims.slice(0, axis).reduce((x, y) => x * y, 1);
  const inner = dims.slice(axis + 1).reduce((x, y) => x * y, 1);
  const T = dims[axis];
  const data = new Float64Array(outer * (T - from) * inner);
  for (let o = 0; o < outer; o++) data.set(a.data.subarray((o * T + from) * inner, (o + 1) * T * inner), o * (T - from) * inner);
  dims[axis] = T - from;
  return { dims, data };
}

function assertRowClose(actual: Tensor, b: number, expected: Act64, what: string): void {
  const bad = rowMismatch(actual, b, expected);
  if (bad) assert.fail(`${what}: ${bad}`);
}

for (const [label, cfg, folded] of [
  ['GPT-2-like', TINY_GPT2, false],
  ['GPT-NeoX-like (parallel, partial rotary, erf gelu)', TINY_NEOX, false],
  ['GPT-2-like with LNPre (folded LayerNorms)', TINY_GPT2, true],
] as const) {
  describe(`HookedModel vs forward64: ${label}`, () => {
    let w: CanonicalWeights;
    let model: HookedModel;
    const clean = [3, 17, 5, 9, 11, 2, 8];
    const corrupt = [3, 17, 6, 9, 12, 2, 8];
    const T = clean.length;
    const V = cfg.dVocab;
    const hooks = allHookNames(cfg.nLayers, cfg.parallelAttnMlp, cfg.positional === 'rotary');

    before(async () => {
      w = randomWeights(cfg, 7);
      if (folded) w = withoutLnAffine(w);
      model = await HookedModel.create(w, stubTokenizer(cfg), { id: 'tiny', source: 'test', device: 'cpu' });
    });
    after(async () => model.dispose());

    it('gives the reference logits and every hook (batch of two prompts)', async () => {
      const res = await model.run({ tokens: [clean, corrupt], cache: hooks });
      assert.equal(res.cache.size, hooks.length);
      for (const [b, toks] of [[0, clean], [1, corrupt]] as const) {
        const ref = forward64(w, toks);
        for (const h of hooks) assertRowClose(res.cache.get(h)!, b, ref.cache.get(h)!, `row ${b} ${h}`);
        assertRowClose(res.logits!, b, logitsAct(ref.logits, T), `row ${b} logits`);
      }
    });

    it('patching a hook with its own cached value changes nothing', async () => {
      const base = await model.run({ tokens: [clean], cache: hooks });
      for (const h of hooks) {
        const act = base.cache.get(h)!;
        const mask = tensor(act.dims.map(() => 1), [1]);
        const res = await model.run({ tokens: [clean], patches: [{ hook: h, value: act, source: Int32Array.of(0), mask }] });
        assert.deepEqual(res.logits!.data, base.logits!.data, `self-patch of ${h}`);
      }
    });

    it('patching blocks.0.hook_resid_pre (all positions) from clean into corrupted gives the clean logits', async () => {
      const cleanRun = await model.run({ tokens: [clean], cache: ['blocks.0.hook_resid_pre'] });
      const patched = await model.run({
        tokens: [corrupt],
        patches: [{ hook: 'blocks.0.hook_resid_pre', value: cleanRun.cache.get('blocks.0.hook_resid_pre')!, source: Int32Array.of(0), mask: tensor([1, 1, 1], [1]) }],
      });
      const ref = forward64(w, clean);
      assertRowClose(patched.logits!, 0, logitsAct(ref.logits, T), 'patched logits');
    });

    it('a patch matches the reference patched the same way (one position of hook_z, head 1)', async () => {
      const cleanRun = await model.run({ tokens: [clean], cache: ['blocks.1.attn.hook_z'] });
      const z = cleanRun.cache.get('blocks.1.attn.hook_z')!;
      const mask = tensor([1, T, cfg.nHeads, 1]);
      mask.data[3 * cfg.nHeads + 1] = 1;
      const res = await model.run({ tokens: [corrupt], cache: ['blocks.1.attn.hook_z'], patches: [{ hook: 'blocks.1.attn.hook_z', value: z, source: Int32Array.of(0), mask }] });
      const dh = cfg.dHead;
      const ref = forward64(w, corrupt, {
        patches: new Map([['blocks.1.attn.hook_z', (act: Float64Array) => {
          const o = (3 * cfg.nHeads + 1) * dh;
          for (let e = 0; e < dh; e++) act[o + e] = z.data[o + e];
        }]]),
      });
      assertRowClose(res.logits!, 0, logitsAct(ref.logits, T), 'logits after patching z');
      assertRowClose(res.cache.get('blocks.1.attn.hook_z')!, 0, ref.cache.get('blocks.1.attn.hook_z')!, 'patched z');
    });

    it('starting at a later layer from the cached resid_pre equals the full run', async () => {
      const L = cfg.nLayers - 1;
      const full = await model.run({ tokens: [clean, corrupt], cache: [`blocks.${L}.hook_resid_pre`, `blocks.${L}.attn.hook_pattern`] });
      const late = await model.run({ tokens: [clean, corrupt], startLayer: L, startResid: full.cache.get(`blocks.${L}.hook_resid_pre`)!, cache: [`blocks.${L}.attn.hook_pattern`] });
      assert.deepEqual(late.logits!.data, full.logits!.data);
      assert.deepEqual(late.cache.get(`blocks.${L}.attn.hook_pattern`)!.data, full.cache.get(`blocks.${L}.attn.hook_pattern`)!.data);
      await assert.rejects(model.run({ tokens: [clean], startLayer: L }), { name: 'UserError' });
    });

    it("'columns' output equals the corresponding entries of the full logits", async () => {
      const full = await model.run({ tokens: [clean, corrupt] });
      const positions = Int32Array.of(T - 1, 2);
      const toks = [Int32Array.of(4, 9, 0), Int32Array.of(V - 1, 1, 4)];
      const cols = await model.run({ tokens: [clean, corrupt], output: { kind: 'columns', positions, tokens: toks } });
      assert.deepEqual(cols.logits!.dims, [2, 3]);
      for (let b = 0; b < 2; b++) {
        for (let k = 0; k < 3; k++) {
          const e = full.logits!.data[(b * T + positions[b]) * V + toks[b][k]];
          assert.ok(Math.abs(cols.logits!.data[b * 3 + k] - e) <= 1e-4 * Math.max(1, Math.abs(e)), `row ${b} column ${k}`);
        }
      }
      const some = await model.run({ tokens: [clean], output: { kind: 'logits', positions: [-1] } });
      assert.deepEqual(some.logits!.dims, [1, 1, V]);
      assert.deepEqual(some.logits!.data, full.logits!.data.slice((T - 1) * V, T * V));
    });

    it('a prefix run (positions ≥ P0 on top of a base run\'s keys/values) equals the reference there', async () => {
      // clean and corrupt agree before position 2; row 1 reruns clean itself from position 5.
      const P0 = 2;
      const kv = hooks.filter((h) => /attn\.hook_[kv]$/.test(h));
      const base = await model.run({ tokens: [corrupt, clean], cache: kv });
      const res = await model.run({ tokens: [corrupt, clean], prefix: { length: P0, cache: base.cache, rows: Int32Array.of(1, 0) }, cache: hooks });
      const refs = [forward64(w, corrupt), forward64(w, clean)];
      for (const h of hooks) {
        if (h === 'hook_embed' || h === 'hook_pos_embed') continue; // the embedding covers every position
        const axis = /hook_(attn_scores|pattern)$/.test(h) ? 2 : 1;
        for (let b = 0; b < 2; b++) assertRowClose(res.cache.get(h)!, b, fromPosition(refs[b].cache.get(h)!, axis, P0), `row ${b} ${h}`);
      }
      assert.deepEqual(res.logits!.dims, [2, T - P0, V]);
      for (let b = 0; b < 2; b++) assertRowClose(res.logits!, b, fromPosition(logitsAct(refs[b].logits, T), 1, P0), `row ${b} logits`);
      // Late start, one P0 per batch: resid_pre of the computed positions, and 'columns' at absolute positions.
      const L = cfg.nLayers - 1;
      const resid = (await model.run({ tokens: [corrupt], cache: [`blocks.${L}.hook_resid_pre`] })).cache.get(`blocks.${L}.hook_resid_pre`)!;
      const late = await model.run({
        tokens: [corrupt],
        startLayer: L,
        startResid: tensor([1, T - 4, cfg.dModel], resid.data.slice(4 * cfg.dModel)),
        prefix: { length: 4, cache: base.cache, rows: Int32Array.of(0) },
        output: { kind: 'columns', positions: Int32Array.of(T - 1), tokens: [Int32Array.of(3, 8)] },
      });
      for (const [k, t] of [3, 8].entries()) {
        const e = refs[0].logits[(T - 1) * V + t];
        assert.ok(Math.abs(late.logits!.data[k] - e) <= 1e-4 * Math.max(1, Math.abs(e)), `late prefix column ${t}: ${late.logits!.data[k]} vs ${e}`);
      }
      await assert.rejects(model.run({ tokens: [corrupt], prefix: { length: P0, cache: base.cache, rows: Int32Array.of(0) }, output: { kind: 'logits', positions: [0] } }), { name: 'UserError', message: /before the reused prefix/ });
      await assert.rejects(model.run({ tokens: [corrupt], prefix: { length: P0, cache: new Map(), rows: Int32Array.of(0) } }), { name: 'UserError', message: /lacks blocks\.0\.attn\.hook_k/ });
      await assert.rejects(model.run({ tokens: [corrupt], prefix: { length: T, cache: base.cache, rows: Int32Array.of(0) } }), { name: 'UserError' });
    });

    it('batch rows are independent: a patch on row 0 leaves row 1 unchanged', async () => {
      const base = await model.run({ tokens: [clean, corrupt] });
      const value = tensor([1, T, cfg.dModel], new Float32Array(T * cfg.dModel).fill(0.5));
      const mask = tensor([2, 1, 1], [1, 0]);
      const res = await model.run({ tokens: [clean, corrupt], patches: [{ hook: 'blocks.0.hook_mlp_out', value, source: Int32Array.of(0, 0), mask }] });
      const n = T * V;
      assert.deepEqual(res.logits!.data.slice(n), base.logits!.data.slice(n), 'row 1 unchanged');
      assert.notDeepEqual(res.logits!.data.slice(0, n), base.logits!.data.slice(0, n), 'row 0 changed');
    });

    it('rejects bad input with one-line UserErrors naming it', async () => {
      await assert.rejects(model.run({ tokens: [[1, V]] }), (e: Error) => e.name === 'UserError' && /token id 50|token id 60/.test(e.message));
      await assert.rejects(model.run({ tokens: [new Array(cfg.nCtx + 1).fill(1)] }), /n_ctx/);
      await assert.rejects(model.run({ tokens: [clean], cache: ['blocks.9.hook_resid_pre' as HookName] }), { name: 'UserError' });
      const ctl = new AbortController();
      ctl.abort();
      await assert.rejects(model.run({ tokens: [clean], signal: ctl.signal }), { name: 'AbortError' });
    });
  });
}

describe('runtime devices', () => {
  it('a named device that cannot start is a UserError listing the ones that can', async () => {
    const { buildUnembedGraph } = await import('../../src/engine/unembed');
    const bytes = buildUnembedGraph(randomWeights(TINY_GPT2, 1));
    // DirectML exists only on Windows builds and CoreML only on macOS ones.
    const missing = process.platform === 'win32' ? 'coreml' : 'dml';
    const { createSession } = await import('../../src/engine/runtime');
    await assert.rejects(createSession(bytes, missing), (e: Error) => e.name === 'UserError' && new RegExp(`^device '${missing}' is not available here: available are .*cpu`).test(e.message));
    await assert.rejects(createSession(bytes, 'tpu'), { name: 'UserError', message: /unknown device 'tpu'/ });
    const s = await createSession(bytes, 'auto');
    assert.ok(s.device.length > 0);
    await s.release();
  });
});
