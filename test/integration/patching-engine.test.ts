/**
 * Batched patching in the engine, the way sweeps use it: many patch sites in one batch
 * (each row its own mask, each row reading `value[source[b]]`), starting late from a
 * cached resid_pre and finishing early with 'columns'. Every row is checked against its
 * own float64 reference run with that one patch applied.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HookName } from '../../src/engine/hooks';
import { loadModel } from '../../src/engine/load';
import { tensor, type Tensor } from '../../src/engine/tensor';
import type { Model } from '../../src/engine/types';
import { forward64, type Patch64 } from '../support/reference64';
import { makeTinyCheckpoint } from '../support/tinyCheckpoint';

/** Repeat each of `rows` rows of t [R, ...] `times` times consecutively → [R*times, ...]. */
function repeatRows(t: Tensor, times: number): Tensor {
  const n = t.data.length / t.dims[0];
  const out = new Float32Array(t.data.length * times);
  for (let r = 0; r < t.dims[0]; r++) for (let k = 0; k < times; k++) out.set(t.data.subarray(r * n, (r + 1) * n), (r * times + k) * n);
  return tensor([t.dims[0] * times, ...t.dims.slice(1)], out);
}

/** Reference patch: copy from `src` (row `row` of a [S, ...] tensor) where `pick(i)` for flat index i of the batch-1 activation. */
function copyWhere(src: Tensor, row: number, pick: (i: number) => boolean): Patch64 {
  const n = src.data.length / src.dims[0];
  return (act) => {
    for (let i = 0; i < n; i++) if (pick(i)) act[i] = src.data[row * n + i];
  };
}

for (const arch of ['gpt2', 'gpt_neox'] as const) {
  describe(`batched patching on a tiny ${arch} checkpoint`, () => {
    let dir: string;
    let model: Model;
    const clean = [[7, 120, 33, 900, 41, 5, 62], [7, 88, 301, 12, 41, 77, 3]];
    const corrupt = [[7, 120, 34, 900, 40, 5, 62], [7, 89, 301, 12, 41, 76, 3]];
    const T = 7;
    const answers = [Int32Array.of(10, 20), Int32Array.of(30, 40)];

    before(async () => {
      dir = makeTinyCheckpoint(mkdtempSync(join(tmpdir(), `ce-patch-engine-${arch}-`)), { arch, seed: 5, nLayers: 3 });
      model = await loadModel({ model: dir, device: 'cpu' });
    });
    after(async () => {
      await model.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Asserts row b's two answer columns equal the reference's last-position logits. */
    function assertColumns(got: Tensor, b: number, prompt: number, patches: Map<string, Patch64>, what: string): void {
      const ref = forward64(model.weights, corrupt[prompt], { patches });
      const V = model.cfg.dVocab;
      for (let k = 0; k < 2; k++) {
        const e = ref.logits[(T - 1) * V + answers[prompt][k]];
        const a = got.data[b * 2 + k];
        assert.ok(Math.abs(a - e) <= 1e-4 * Math.max(1, Math.abs(e)), `${what}, row ${b} column ${k}: engine ${a} vs reference ${e}`);
      }
    }

    it('resid_pre by position, started late at layer 1: one row per (prompt, position)', async () => {
      const hook = 'blocks.1.hook_resid_pre' as HookName;
      const cleanCache = (await model.run({ tokens: clean, cache: [hook], output: { kind: 'none' } })).cache.get(hook)!;
      const corruptCache = (await model.run({ tokens: corrupt, cache: [hook], output: { kind: 'none' } })).cache.get(hook)!;
      const B = 2 * T;
      const mask = tensor([B, T, 1]);
      const source = new Int32Array(B);
      for (let p = 0; p < 2; p++) for (let t = 0; t < T; t++) (mask.data[(p * T + t) * T + t] = 1), (source[p * T + t] = p);
      const tokens = [...Array(T).fill(corrupt[0]), ...Array(T).fill(corrupt[1])];
      const res = await model.run({
        tokens,
        startLayer: 1,
        startResid: repeatRows(corruptCache, T),
        patches: [{ hook, value: cleanCache, source, mask }],
        output: { kind: 'columns', positions: new Int32Array(B).fill(T - 1), tokens: tokens.map((_, b) => answers[Math.floor(b / T)]) },
      });
      const d = model.cfg.dModel;
      for (let b = 0; b < B; b++) {
        const p = Math.floor(b / T);
        const t = b % T;
        assertColumns(res.logits!, b, p, new Map([[hook, copyWhere(cleanCache, p, (i) => Math.floor(i / d) === t)]]), `position ${t}`);
      }
    });

    for (const suffix of ['attn.hook_z', 'attn.hook_q', 'attn.hook_k', 'attn.hook_v', 'attn.hook_pattern'] as const) {
      it(`${suffix} of each head, all positions: one row per (prompt, head)`, async () => {
        const { nHeads: H, dHead: dh } = model.cfg;
        const hook = `blocks.1.${suffix}` as HookName;
        const cleanCache = (await model.run({ tokens: clean, cache: [hook], output: { kind: 'none' } })).cache.get(hook)!;
        const B = 2 * H;
        const headAxis = suffix === 'attn.hook_pattern' ? 1 : 2; // pattern [B,H,T,T]; q/k/v/z [B,T,H,dh]
        const maskDims = [B, 1, 1, 1];
        maskDims[headAxis] = H;
        const mask = tensor(maskDims);
        const source = new Int32Array(B);
        for (let b = 0; b < B; b++) (mask.data[b * H + (b % H)] = 1), (source[b] = Math.floor(b / H));
        const tokens = [...Array(H).fill(corrupt[0]), ...Array(H).fill(corrupt[1])];
        const res = await model.run({
          tokens,
          patches: [{ hook, value: cleanCache, source, mask }],
          output: { kind: 'columns', positions: new Int32Array(B).fill(-1), tokens: tokens.map((_, b) => answers[Math.floor(b / H)]) },
        });
        for (let b = 0; b < B; b++) {
          const p = Math.floor(b / H);
          const h = b % H;
          const headOf = (i: number) => (headAxis === 1 ? Math.floor(i / (T * T)) : Math.floor(i / dh) % H);
          assertColumns(res.logits!, b, p, new Map([[hook, copyWhere(cleanCache, p, (i) => headOf(i) === h)]]), `head ${h}`);
        }
      });
    }
  });
}
