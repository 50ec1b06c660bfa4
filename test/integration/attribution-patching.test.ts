/**
 * Attribution patching. The backward pass is checked element by element against central
 * finite differences of the float64 reference forward (test/support/reference64.ts),
 * perturbing one activation of every patchable hook through its patch hook: tiny GPT-2
 * and GPT-NeoX (partial rotary, parallel attention + MLP), weight processing on and off.
 * On the demo model the estimate is held against activation patching of the same set.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCanonicalWeights } from '../../src/engine/checkpoint/load';
import { HookedModel } from '../../src/engine/hookedModel';
import { blockHook, type HookName } from '../../src/engine/hooks';
import { loadModel } from '../../src/engine/load';
import { loadTokenizer } from '../../src/engine/tokenizer';
import type { Model } from '../../src/engine/types';
import { DEFAULT_PROCESSING, NO_PROCESSING, type ProcessingOptions } from '../../src/engine/weights';
import { backwardHooks, logitDiffGradients, type LayerGrads } from '../../src/analysis/gradients';
import { runOp } from '../../src/analysis/ops';
import type { PatchResult } from '../../src/protocol/results';
import { forward64 } from '../support/reference64';
import { rng } from '../support/randomWeights';
import { makeTinyCheckpoint } from '../support/tinyCheckpoint';

async function tiny(arch: 'gpt2' | 'gpt_neox', processing: ProcessingOptions): Promise<Model> {
  const dir = makeTinyCheckpoint(mkdtempSync(join(tmpdir(), `ce-grad-${arch}-`)), { arch, seed: 13, nLayers: 2 });
  const weights = await loadCanonicalWeights(dir, processing);
  const tokenizer = await loadTokenizer(dir, { bosTokenId: weights.cfg.bosTokenId });
  return HookedModel.create(weights, tokenizer, { id: `tiny-${arch}`, source: dir, device: 'cpu' });
}

const HOOKS: (keyof LayerGrads)[] = ['hook_resid_pre', 'hook_resid_mid', 'hook_attn_out', 'hook_mlp_out', 'attn.hook_q', 'attn.hook_k', 'attn.hook_v', 'attn.hook_z', 'attn.hook_pattern'];

for (const arch of ['gpt2', 'gpt_neox'] as const) {
  for (const [name, processing] of [['processing on', DEFAULT_PROCESSING], ['processing off', NO_PROCESSING]] as const) {
    describe(`gradients of the logit difference, tiny ${arch}, ${name}`, () => {
      let model: Model;
      before(async () => {
        model = await tiny(arch, processing);
      });
      after(async () => model?.dispose());

      test('every hook’s gradient equals central finite differences of the float64 forward', async () => {
        const r = rng(21);
        const T = 7;
        const pos = 5; // not the last position: later positions must get no gradient
        const tokens = Array.from({ length: T }, () => 1 + Math.floor(r() * 999));
        const [answer, wrong] = [17, 404];
        const run = await model.run({ tokens: [tokens], cache: backwardHooks(model), output: { kind: 'none' } });
        const grads = await logitDiffGradients(model, run.cache, 0, T, pos, answer, wrong);
        const V = model.cfg.dVocab;
        const metric = (patches?: Map<string, (a: Float64Array) => void>) => {
          const f = forward64(model.weights, tokens, { patches });
          return f.logits[pos * V + answer] - f.logits[pos * V + wrong];
        };
        const eps = 1e-4;
        let checked = 0;
        for (let l = 0; l < model.cfg.nLayers; l++) {
          for (const h of HOOKS) {
            const g = grads[l][h];
            if (h === 'hook_resid_mid' && model.cfg.parallelAttnMlp) {
              assert.equal(g, null);
              continue;
            }
            assert.ok(g, `no gradient for ${h}`);
            // Elements at or before pos (random), plus one after pos that must be 0.
            const [size, rowsBefore] = h === 'attn.hook_pattern' ? [g.length, 0] : [g.length / T, (pos + 1) * (g.length / T)];
            const picks = h === 'attn.hook_pattern'
              ? Array.from({ length: 4 }, () => {
                  const head = Math.floor(r() * model.cfg.nHeads);
                  const q = Math.floor(r() * (pos + 1));
                  return (head * T + q) * T + Math.floor(r() * (q + 1));
                })
              : Array.from({ length: 4 }, () => Math.floor(r() * rowsBefore));
            for (const e of picks) {
              const hook = blockHook(l, h as Parameters<typeof blockHook>[1]) as HookName;
              const bump = (delta: number) => new Map([[hook, (a: Float64Array) => void (a[e] += delta)]]);
              const fd = (metric(bump(eps)) - metric(bump(-eps))) / (2 * eps);
              assert.ok(Math.abs(fd - g[e]) <= 2e-4 + 2e-3 * Math.abs(fd), `${hook}[${e}]: backward ${g[e]} vs finite difference ${fd}`);
              checked++;
            }
            if (h !== 'attn.hook_pattern') {
              for (let e = (pos + 1) * size; e < T * size; e++) assert.equal(g[e], 0, `${h}[${e}] after the metric position has a gradient`);
            }
          }
        }
        assert.ok(checked >= 4 * 8 * model.cfg.nLayers);
      });
    });
  }
}

describe('attribution patching on the demo model', () => {
  let model: Model;
  before(async () => {
    model = await loadModel({ device: 'cpu' });
  });
  after(async () => model?.dispose());

  /** Pearson correlation of two equally long lists. */
  function correlation(a: number[], b: number[]): number {
    const ma = a.reduce((x, y) => x + y, 0) / a.length;
    const mb = b.reduce((x, y) => x + y, 0) / b.length;
    let sab = 0;
    let saa = 0;
    let sbb = 0;
    a.forEach((v, i) => {
      sab += (v - ma) * (b[i] - mb);
      saa += (v - ma) ** 2;
      sbb += (b[i] - mb) ** 2;
    });
    return sab / Math.sqrt(saa * sbb);
  }
  const argmax = (v: number[]) => v.reduce((best, x, i) => (Math.abs(x) > Math.abs(v[best]) ? i : best), 0);

  // The demo model's IOI behaviour is carried by a few sites and is close to linear in
  // them, so the first-order estimate must find the same sites with nearly the same values.
  test('same grid and baselines as activation patching, and the same sites light up', async () => {
    const file = JSON.parse(readFileSync(join(__dirname, '..', '..', 'models', 'circuit-demo-gpt2-3l', 'ioi.circuit.json'), 'utf8'));
    for (const [kind, noising] of [['attn_head_out_all_pos', false], ['resid_pre', false], ['attn_head_all_pos_every', false], ['attn_head_out_all_pos', true]] as const) {
      const act = (await runOp(model, { op: 'patch', spec: file, kind, noising })) as PatchResult;
      const att = (await runOp(model, { op: 'patch', spec: file, kind, noising, method: 'attribution' })) as PatchResult;
      const what = `${kind}${noising ? ' (noising)' : ''}`;
      assert.equal(att.method, 'attribution');
      assert.equal(act.method, undefined);
      assert.deepEqual(att.dims, act.dims);
      assert.deepEqual(att.labels, act.labels);
      assert.equal(att.noising, noising);
      assert.ok(Math.abs(att.clean - act.clean) < 1e-6 && Math.abs(att.corrupted - act.corrupted) < 1e-6);
      assert.ok(att.values.every(Number.isFinite));
      // resid_pre has several sites near 1 (the changed token early, the answer position late): no single strongest one.
      if (kind !== 'resid_pre') assert.equal(argmax(att.values), argmax(act.values), `${what}: the strongest site differs`);
      const r = correlation(att.values, act.values);
      assert.ok(r > 0.98, `${what}: the estimate correlates with activation patching at only ${r}`);
    }
  });

  test('an unknown method is a one-line error', async () => {
    const file = JSON.parse(readFileSync(join(__dirname, '..', '..', 'models', 'circuit-demo-gpt2-3l', 'ioi.circuit.json'), 'utf8'));
    await assert.rejects(runOp(model, { op: 'patch', spec: file, kind: 'resid_pre', method: 'gradient' as 'attribution' }), /patching method must be activation or attribution, got "gradient"/);
  });
});
