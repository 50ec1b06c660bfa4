/**
 * The ONNX graphs and HookedModel against the float64 reference (test/support/reference64),
 * on random tiny GPT-2-like and GPT-NeoX-like weights built here (no files).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { allHookNames, type HookName } from '../../src/engine/hooks';
import { HookedModel } from '../../src/engine/hookedModel';
import { tensor, type Tensor } from '../../src/engine/tensor';
import type { Patch, TokenizerLike } from '../../src/engine/types';
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

    it('hook_embed and hook_pos_embed patches follow the graph rule, read straight from W_E and W_pos', async () => {
      const d = cfg.dModel;
      // hook_embed: position 2 of row 0 takes row 1's embedding at position 2 (value = a [2, T, d] tensor, source [1, 0]).
      const value = { dims: [2, T, d], data: new Float32Array(2 * T * d).map((_, i) => (i % 13) - 6.5) };
      const mask = { dims: [2, T, 1], data: new Float32Array(2 * T) };
      mask.data[2] = 1;
      const patches: Patch[] = [{ hook: 'hook_embed', value, source: Int32Array.of(1, 0), mask }];
      const rotary = cfg.positional === 'rotary';
      // hook_pos_embed: row 1 whole, from one broadcast [1, 1, d] value.
      const posValue = { dims: [1, 1, d], data: new Float32Array(d).map((_, i) => i / 8) };
      if (!rotary) patches.push({ hook: 'hook_pos_embed', value: posValue, source: Int32Array.of(0), mask: { dims: [2, 1, 1], data: Float32Array.of(0, 1) } });
      const res = await model.run({ tokens: [clean, corrupt], patches, cache: ['hook_embed', 'blocks.0.hook_resid_pre'], output: { kind: 'none' } });
      const embed = res.cache.get('hook_embed')!.data;
      const resid = res.cache.get('blocks.0.hook_resid_pre')!.data;
      for (const [b, toks] of [[0, clean], [1, corrupt]] as const) {
        for (let p = 0; p < T; p++) {
          for (let j = 0; j < d; j++) {
            const at = (b * T + p) * d + j;
            const e = b === 0 && p === 2 ? value.data[(1 * T + p) * d + j] : w.W_E.data[toks[p] * d + j];
            assert.equal(embed[at], e, `hook_embed[${b},${p},${j}]`);
            const pos = rotary ? 0 : b === 1 ? posValue.data[j] : w.W_pos!.data[p * d + j];
            assert.equal(resid[at], Math.fround(e + pos), `resid_pre[${b},${p},${j}]`);
          }
        }
      }
    });

    it('full logits asked by concurrent runs share one unembed session and agree with the reference', async () => {
      const fresh = await HookedModel.create(w, stubTokenizer(cfg), { id: 'tiny', source: 'test', device: 'cpu' });
      try {
        const [a, b] = await Promise.all([fresh.run({ tokens: [clean] }), fresh.run({ tokens: [corrupt] })]);
        assertRowClose(a.logits!, 0, logitsAct(forward64(w, clean).logits, T), 'clean logits');
        assertRowClose(b.logits!, 0, logitsAct(forward64(w, corrupt).logits, T), 'corrupted logits');
      } finally {
        await fresh.dispose();
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

describe('load-time layout and processing helpers', () => {
  it('transpose2d (tiled) puts element (r, c) at (c, r) for shapes that are not multiples of the tile', async () => {
    const { transpose2d } = await import('../../src/engine/arch/layout');
    for (const [rows, cols] of [[1, 1], [70, 131], [129, 64]]) {
      const src = new Float32Array(rows * cols).map((_, i) => i);
      const t = transpose2d({ dims: [rows, cols], data: src });
      assert.deepEqual(t.dims, [cols, rows]);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) assert.equal(t.data[c * rows + r], r * cols + c);
    }
  });

  it('processWeights in place gives the same bits as the copying path, and the copying path leaves its input alone', async () => {
    const { processWeights } = await import('../../src/engine/processing');
    const { DEFAULT_PROCESSING } = await import('../../src/engine/weights');
    for (const cfg of [TINY_GPT2, TINY_NEOX]) {
      const a = randomWeights(cfg, 3);
      const before = a.blocks[0].W_Q.data.slice();
      const copied = processWeights(a, DEFAULT_PROCESSING);
      assert.deepEqual(a.blocks[0].W_Q.data, before);
      const b = randomWeights(cfg, 3);
      const inPlace = processWeights(b, DEFAULT_PROCESSING, { inPlace: true });
      assert.equal(inPlace.W_U.data, b.W_U.data, 'in place reuses the input arrays');
      assert.deepEqual(inPlace.W_E.data, copied.W_E.data);
      assert.deepEqual(inPlace.W_U.data, copied.W_U.data);
      assert.deepEqual(inPlace.b_U.data, copied.b_U.data);
      for (let l = 0; l < cfg.nLayers; l++) {
        for (const k of ['W_Q', 'b_Q', 'W_K', 'W_V', 'b_V', 'W_O', 'b_O', 'W_in', 'b_in', 'W_out', 'b_out'] as const) {
          assert.deepEqual(inPlace.blocks[l][k].data, copied.blocks[l][k].data, `block ${l} ${k}`);
        }
      }
    }
  });
});
