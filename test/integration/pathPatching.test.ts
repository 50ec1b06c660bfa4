import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { blockHook } from '../../src/engine/hooks';
import type { HookName } from '../../src/engine/hooks';
import type { Model } from '../../src/engine/types';
import { promptPairs } from '../../src/analysis/patching';
import type { PatchingPromptSet, PromptPairs } from '../../src/analysis/patching';
import { pathPatch, pathPatchHooks, pathPatchSweep } from '../../src/analysis/pathPatching';
import type { PathPatchRuns } from '../../src/analysis/pathPatching';
import { patchSites } from '../../src/analysis/sites';
import { baselineRun, fastSweep, sweepHooks } from '../../src/analysis/sweep';
import { randomPairs, tinyModel } from '../support/patchingModels';
import { forward64 } from '../support/reference64';
import type { Patch64 } from '../support/reference64';

const P = 3;
const T = 6;

interface Fixture {
  model: Model;
  set: PatchingPromptSet;
  pairs: PromptPairs;
  runs: PathPatchRuns;
  clean: number;
  corrupted: number;
}

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0) / a.length;

/** Replaces head `h` of a [1, T, H, dh] activation at every position with `src`'s. */
function headFrom(src: Float64Array, heads: number[], H: number, dh: number): Patch64 {
  return (act) => {
    for (let t = 0; t < T; t++) for (const h of heads) for (let k = 0; k < dh; k++) act[(t * H + h) * dh + k] = src[(t * H + h) * dh + k];
  };
}

/** Path patching sender → receiver input, the IOI appendix-B recipe, in float64, one prompt. */
function reference(f: Fixture, p: number, sender: [number, number], receiver: [number, number], input: 'q' | 'k' | 'v'): number {
  const w = f.model.weights;
  const { nLayers: L, nHeads: H, dHead: dh, dVocab: V } = f.model.cfg;
  const orig = forward64(w, f.pairs.clean[p]);
  const next = forward64(w, f.pairs.corrupted[p]);
  const z = (run: typeof orig, l: number) => run.cache.get(blockHook(l, 'attn.hook_z'))!.data;
  const step1 = new Map<string, Patch64>();
  step1.set(blockHook(sender[0], 'attn.hook_z'), headFrom(z(next, sender[0]), [sender[1]], H, dh));
  const all = [...Array(H).keys()];
  for (let l = sender[0] + 1; l < L; l++) step1.set(blockHook(l, 'attn.hook_z'), headFrom(z(orig, l), all, H, dh));
  const hook: HookName = blockHook(receiver[0], `attn.hook_${input}`);
  const recorded = forward64(w, f.pairs.clean[p], { patches: step1 }).cache.get(hook)!.data;
  const step2 = new Map<string, Patch64>([[hook, headFrom(recorded, [receiver[1]], H, dh)]]);
  const { logits } = forward64(w, f.pairs.clean[p], { patches: step2 });
  const o = (T - 1) * V;
  return logits[o + f.pairs.targets.answerIds[p]] - logits[o + f.pairs.targets.wrongIds[p]];
}

for (const arch of ['gpt2', 'gpt_neox'] as const) {
  describe(`path patching on a tiny ${arch}`, () => {
    const f = {} as Fixture;
    before(async () => {
      f.model = await tinyModel(arch, 5);
      f.set = randomPairs(f.model, P, T, 11, 3);
      f.pairs = promptPairs(f.set);
      const hooks = pathPatchHooks(f.model);
      const orig = await baselineRun(f.model, f.pairs.clean, f.pairs.targets, hooks);
      const next = await baselineRun(f.model, f.pairs.corrupted, f.pairs.targets, hooks);
      f.runs = { orig: f.pairs.clean, origCache: orig.cache, newCache: next.cache, targets: f.pairs.targets };
      f.clean = mean(orig.diffs);
      f.corrupted = mean(next.diffs);
    });
    after(() => f.model.dispose());

    test('new input = orig input: every sender gives the orig metric (value 0)', async () => {
      const same = { ...f.runs, newCache: f.runs.origCache };
      for (const receiverInput of ['q', 'resid'] as const) {
        const raw = await pathPatchSweep(f.model, same, { receivers: [[2, 1]], receiverInput });
        for (const v of raw) assert.ok(Math.abs(v - f.clean) < 1e-4 * Math.max(1, Math.abs(f.clean)), `${receiverInput}: ${v} vs ${f.clean}`);
      }
    });

    test('q, k and v receivers match the float64 two-step recipe', async () => {
      const H = f.model.cfg.nHeads;
      for (const [input, receiver, senders] of [
        ['q', [2, 1], [[0, 1], [1, 3]]],
        ['k', [2, 0], [[1, 0]]],
        ['v', [1, 2], [[0, 3]]],
      ] as const) {
        const raw = await pathPatchSweep(f.model, f.runs, { receivers: [receiver], receiverInput: input, memoryBudgetMB: 0.3 });
        assert.equal(raw.length, receiver[0] * H);
        for (const s of senders) {
          let ref = 0;
          for (let p = 0; p < P; p++) ref += reference(f, p, [s[0], s[1]], [receiver[0], receiver[1]], input) / P;
          const got = raw[s[0] * H + s[1]];
          assert.ok(Math.abs(got - ref) < 1e-4 * Math.max(1, Math.abs(ref)), `${input} ${s} → ${receiver}: ${got} vs ${ref}`);
          assert.ok(Math.abs(ref - f.clean) > 1e-5, 'the path has an effect, so the comparison is not vacuous');
        }
      }
    });

    test('resid receiver of a last-layer sender equals noising that head\'s z (last MLP frozen) by activation patching', async () => {
      const result = await pathPatch(f.model, f.set, { receivers: [], receiverInput: 'resid' });
      const { nLayers: L, nHeads: H } = f.model.cfg;
      assert.deepEqual(result.dims, [L, H]);
      assert.ok(Math.abs(result.clean - f.clean) < 1e-9);
      const z = blockHook(L - 1, 'attn.hook_z');
      const mlp = blockHook(L - 1, 'hook_mlp_out');
      const clean = await baselineRun(f.model, f.pairs.clean, f.pairs.targets, [z, mlp, blockHook(L - 1, 'hook_resid_pre')]);
      const corrupted = await baselineRun(f.model, f.pairs.corrupted, f.pairs.targets, [z]);
      const sites = patchSites(f.model.cfg, 'attn_head_out_all_pos', T).sites.filter((s) => s.layer === L - 1);
      // In a serial model (GPT-2) the last MLP reads the head's output, which is not a direct
      // path: freeze it to the clean run. In a parallel one (NeoX) freezing changes nothing,
      // so there the plain sweep must agree as well.
      const source = Int32Array.from(f.pairs.clean.keys());
      const ones = { dims: [P, 1, 1], data: new Float32Array(P).fill(1) };
      for (const s of sites) {
        const mask = { dims: [P, 1, H, 1], data: new Float32Array(P * H) };
        for (let p = 0; p < P; p++) mask.data[p * H + s.head] = 1;
        const out = await f.model.run({
          tokens: f.pairs.clean,
          patches: [
            { hook: z, value: corrupted.cache.get(z)!, source, mask },
            { hook: mlp, value: clean.cache.get(mlp)!, source, mask: ones },
          ],
          output: { kind: 'logits' },
        });
        const V = out.logits!.dims[2];
        let sum = 0;
        for (let p = 0; p < P; p++) {
          const o = (p * T + T - 1) * V;
          sum += out.logits!.data[o + f.pairs.targets.answerIds[p]] - out.logits!.data[o + f.pairs.targets.wrongIds[p]];
        }
        const expected = (sum / P - f.clean) / (f.clean - f.corrupted);
        const got = result.values[s.layer * H + s.head];
        assert.ok(Math.abs(got - expected) < 1e-4 * Math.max(1, Math.abs(expected)), `head ${s.layer}.${s.head}: ${got} vs ${expected}`);
      }
      if (f.model.cfg.parallelAttnMlp) {
        const noised = await fastSweep(f.model, sites, { baseTokens: f.pairs.clean, baseCache: clean.cache, sourceCache: corrupted.cache, ...f.pairs.targets });
        sites.forEach((s, i) => {
          const expected = (noised[i] - f.clean) / (f.clean - f.corrupted);
          assert.ok(Math.abs(result.values[s.layer * H + s.head] - expected) < 1e-4 * Math.max(1, Math.abs(expected)));
        });
      }
      assert.ok(sites.some((s) => Math.abs(result.values[s.layer * H + s.head]) > 1e-3), 'some head has a direct effect');
    });

    test('receivers as "L.H" strings, and bad receivers are one-line user errors', async () => {
      const r = await pathPatch(f.model, f.set, { receivers: ['2.1'], receiverInput: 'v' });
      // Dims stay [L, H] (CONTRACTS §1); only the layers before the receiver are senders,
      // and the rows from the receiver's layer on carry no path, so they are exactly 0.
      const { nLayers: L, nHeads: H } = f.model.cfg;
      assert.deepEqual(r.dims, [L, H]);
      assert.equal(r.senderLayers, 2);
      assert.ok(r.values.slice(2 * H).every((v) => v === 0));
      assert.ok(r.values.slice(0, 2 * H).some((v) => v !== 0));
      assert.deepEqual(r.receivers, ['2.1']);
      await assert.rejects(pathPatch(f.model, f.set, { receivers: ['0.1'], receiverInput: 'q' }), (e: Error) => e.name === 'UserError' && /layer 0/.test(e.message));
      await assert.rejects(pathPatch(f.model, f.set, { receivers: ['9.1'], receiverInput: 'q' }), (e: Error) => e.name === 'UserError' && /9\.1/.test(e.message));
    });
  });
}
