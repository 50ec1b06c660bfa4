import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { blockHook } from '../../src/engine/hooks';
import type { Model } from '../../src/engine/types';
import { activationPatch, promptPairs } from '../../src/analysis/patching';
import type { PatchingPromptSet, PromptPairs } from '../../src/analysis/patching';
import { patchSites } from '../../src/analysis/sites';
import type { PatchSite } from '../../src/analysis/sites';
import { baselineRun, fastSweep, naiveSweep, sweepHooks } from '../../src/analysis/sweep';
import type { SweepRuns } from '../../src/analysis/sweep';
import type { PatchKind } from '../../src/protocol/results';
import { randomPairs, tinyModel } from '../support/patchingModels';
import { forward64 } from '../support/reference64';

const P = 3;
const T = 6;

interface Fixture {
  model: Model;
  set: PatchingPromptSet;
  pairs: PromptPairs;
}

/** Denoising runs for the given sites: corrupted base, clean source. */
async function runsFor(f: Fixture, sites: readonly PatchSite[], from: 'clean' | 'corrupted' = 'clean', into: 'clean' | 'corrupted' = 'corrupted'): Promise<SweepRuns> {
  const hooks = sweepHooks(sites);
  const base = await baselineRun(f.model, f.pairs[into], f.pairs.targets, hooks);
  const source = await baselineRun(f.model, f.pairs[from], f.pairs.targets, hooks);
  return { baseTokens: f.pairs[into], baseCache: base.cache, sourceCache: source.cache, baseDiffs: base.diffs, ...f.pairs.targets };
}

function closeTo(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    const ok = Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i]));
    assert.ok(ok, `${what} [${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

for (const arch of ['gpt2', 'gpt_neox'] as const) {
  describe(`activation patching on a tiny ${arch}`, () => {
    const f = {} as Fixture;
    before(async () => {
      f.model = await tinyModel(arch);
      f.set = randomPairs(f.model, P, T);
      f.pairs = promptPairs(f.set);
    });
    after(() => f.model.dispose());

    const kinds: PatchKind[] = ['block_every', 'attn_head_all_pos_every', 'attn_head_out_by_pos', 'attn_head_pattern_by_pos', 'attn_head_v_by_pos'];
    if (arch === 'gpt2') kinds.push('resid_mid');
    for (const kind of kinds) {
      test(`fast sweep equals the one-forward-per-site sweep: ${kind}`, async () => {
        const { sites } = patchSites(f.model.cfg, kind, T);
        const runs = await runsFor(f, sites);
        // A small memory budget forces several chunks per layer group.
        const fast = await fastSweep(f.model, sites, runs, { memoryBudgetMB: 0.5 });
        const naive = await naiveSweep(f.model, sites, runs);
        closeTo(fast, naive, 1e-5, kind);
        // Not all equal to the corrupted baseline: the test would pass vacuously otherwise.
        assert.ok(new Set(Array.from(fast, (v) => v.toFixed(4))).size > 2, 'patches change the metric');
      });
    }

    test('prefix reuse: pairs that differ only late (one token each, positions 4..6 of 8) give the naive sweep, and run only the changed positions', async () => {
      const T8 = 8;
      const late = randomPairs(f.model, P, T8, 11, 0);
      late.corruptedTokens!.forEach((row, p) => ((row as number[])[4 + p] = 900 + p));
      const pairs = promptPairs(late);
      const g = { ...f, set: late, pairs };
      // Counts the positions each run computes, to show the prefix is really skipped.
      const P0s: number[] = [];
      const spy: Model = Object.create(f.model, {
        run: { value: (req: Parameters<Model['run']>[0]) => (P0s.push(req.prefix?.length ?? 0), f.model.run(req)) },
      });
      const lateKinds: PatchKind[] = ['resid_pre', 'attn_out', 'block_every', 'attn_head_all_pos_every', 'attn_head_out_by_pos', 'attn_head_q_by_pos', 'attn_head_k_by_pos', 'attn_head_pattern_by_pos', 'mlp_out'];
      if (arch === 'gpt2') lateKinds.push('resid_mid');
      for (const kind of lateKinds) {
        const { sites } = patchSites(f.model.cfg, kind, T8);
        const runs = await runsFor(g, sites);
        P0s.length = 0;
        const fast = await fastSweep(spy, sites, runs, { memoryBudgetMB: 0.5 });
        const naive = await naiveSweep(f.model, sites, runs);
        closeTo(fast, naive, 1e-5, `late ${kind}`);
        assert.ok(new Set(Array.from(fast, (v) => v.toFixed(4))).size > 2, `${kind}: patches change the metric`);
        // No row before the first difference (position 4) is run; every run reuses at least those 4 positions.
        assert.ok(P0s.length > 0 && P0s.every((p0) => p0 >= 4), `${kind}: runs start at positions [${P0s}]`);
      }
    });

    test('clean into clean gives 1 and corrupted into corrupted gives 0 at every site', async () => {
      const clean = await baselineRun(f.model, f.pairs.clean, f.pairs.targets, []);
      const corrupted = await baselineRun(f.model, f.pairs.corrupted, f.pairs.targets, []);
      const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;
      const [c, k] = [mean(clean.diffs), mean(corrupted.diffs)];
      const { sites } = patchSites(f.model.cfg, 'attn_head_all_pos_every', T);
      const cc = await fastSweep(f.model, sites, await runsFor(f, sites, 'clean', 'clean'));
      closeTo(Array.from(cc, (v) => (v - k) / (c - k)), new Array(sites.length).fill(1), 1e-4, 'clean into clean');
      const kk = await fastSweep(f.model, sites, await runsFor(f, sites, 'corrupted', 'corrupted'));
      closeTo(Array.from(kk, (v) => (v - k) / (c - k)), new Array(sites.length).fill(0), 1e-4, 'corrupted into corrupted');
    });

    test('resid_pre patched at every position of layer 0 restores the clean run exactly (normalised 1)', async () => {
      const hook = blockHook(0, 'hook_resid_pre');
      // One site whose [B, 1, 1] mask broadcasts over every position.
      const all: PatchSite = { index: 0, facet: 0, layer: 0, pos: -1, head: -1, hook, grain: 'pos', maskDims: [1, 1], cell: 0 };
      const runs = await runsFor(f, [all]);
      const [patched] = await fastSweep(f.model, [all], runs);
      const result = await activationPatch(f.model, f.set, 'resid_pre');
      assert.ok(Math.abs(result.clean - result.corrupted) > 1e-3, 'the pairs separate');
      const normalised = (patched - result.corrupted) / (result.clean - result.corrupted);
      assert.ok(Math.abs(normalised - 1) < 1e-4, `normalised ${normalised}`);
    });

    test('activationPatch: shape, labels, and the denoising/noising normalisation', async () => {
      const r = await activationPatch(f.model, f.set, 'resid_pre');
      const L = f.model.cfg.nLayers;
      assert.deepEqual(r.dims, [L, T]);
      assert.deepEqual(r.axes, ['layer', 'pos']);
      assert.equal(r.labels.pos.length, T);
      assert.deepEqual(r.labels.layer, ['0', '1', '2']);
      // Layer 0 at the last position: every earlier position still differs, so not 1; but
      // resid_pre of the last layer at the answer position carries everything the answer
      // reads except the last block's attention to other positions. The sum over positions
      // at layer 0 is not constrained, so check the invariant at the first position instead:
      // BOS is the same in both prompts, so patching it changes nothing (normalised 0).
      for (let l = 0; l < L; l++) assert.ok(Math.abs(r.values[l * T]) < 1e-4, `BOS at layer ${l}: ${r.values[l * T]}`);
      const noising = await activationPatch(f.model, f.set, 'resid_pre', { noising: true });
      assert.equal(noising.noising, true);
      // Noising BOS also changes nothing: the clean run stays clean (normalised 1).
      for (let l = 0; l < L; l++) assert.ok(Math.abs(noising.values[l * T] - 1) < 1e-4);
    });

    test('one site against the float64 reference forward with a patch callback', async () => {
      const layer = 1;
      const head = 2;
      const { sites } = patchSites(f.model.cfg, 'attn_head_out_all_pos', T);
      const site = sites.find((s) => s.layer === layer && s.head === head)!;
      const [engine] = await fastSweep(f.model, [site], await runsFor(f, [site]));
      const { dHead: dh, nHeads: H } = f.model.cfg;
      const zName = blockHook(layer, 'attn.hook_z');
      let sum = 0;
      for (let p = 0; p < P; p++) {
        const cleanZ = forward64(f.model.weights, f.pairs.clean[p]).cache.get(zName)!.data;
        const patches = new Map([[zName, (act: Float64Array) => {
          for (let t = 0; t < T; t++) for (let k = 0; k < dh; k++) act[(t * H + head) * dh + k] = cleanZ[(t * H + head) * dh + k];
        }]]);
        const { logits } = forward64(f.model.weights, f.pairs.corrupted[p], { patches });
        const V = f.model.cfg.dVocab;
        const o = (T - 1) * V;
        sum += logits[o + f.pairs.targets.answerIds[p]] - logits[o + f.pairs.targets.wrongIds[p]];
      }
      closeTo([engine], [sum / P], 1e-4, 'head 1.2 output vs forward64');
    });
  });
}
