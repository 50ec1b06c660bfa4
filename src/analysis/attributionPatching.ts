/**
 * Attribution patching: the first-order estimate of activation patching for every site at
 * once. Patching a site replaces the base run's activation a with the source run's a′;
 * to first order the metric moves by (a′ − a) · ∂metric/∂a, with the gradient taken on the
 * base run. One forward pass of each run and a forward and backward pass per prompt (./gradients.ts)
 * give every site of every kind, where activation patching runs each site.
 *
 * Same sites, grids and normalisation as activation patching (./patching.ts): denoising
 * (default) takes the gradient on the corrupted run and a′ from the clean run; noising
 * the other way round. Each site's estimate of the patched mean logit difference is
 * base mean + mean over prompts of Σ_site (a′ − a) · ∂metric/∂a, reported as
 * (estimate − corrupted) / (clean − corrupted). It is exact for a site the metric depends on
 * linearly and an approximation elsewhere (LayerNorm, softmax, MLP nonlinearities): a map
 * of where to look, to confirm with activation patching.
 */
import type { HookName } from '../engine/hooks';
import type { Tensor } from '../engine/tensor';
import type { Model } from '../engine/types';
import type { PatchKind, PatchResult } from '../protocol/results';
import { backwardHooks, logitDiffGradients, type LayerGrads } from './gradients';
import { mean, normalisedMetric } from './metrics';
import { patchResult, promptPairs, type PatchingPromptSet, type PatchOptions } from './patching';
import { patchSites, type PatchSite } from './sites';
import { baselineRun } from './sweep';

type GradHook = keyof LayerGrads;

/**
 * Σ of x over the dims where the site's mask is 1 (a broadcast dim), keeping the others:
 * x has `dims`, the result has the mask's shape `maskDims` (each 1 or the dim's size).
 */
function reduceToMask(x: Float64Array, dims: readonly number[], maskDims: readonly number[]): Float64Array {
  const out = new Float64Array(maskDims.reduce((a, b) => a * b, 1));
  const idx = new Array<number>(dims.length).fill(0);
  for (let e = 0; e < x.length; e++) {
    let m = 0;
    for (let i = 0; i < dims.length; i++) m = m * maskDims[i] + (maskDims[i] === 1 ? 0 : idx[i]);
    out[m] += x[e];
    for (let i = dims.length - 1; i >= 0; i--) {
      if (++idx[i] < dims[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

function suffixOf(site: PatchSite): GradHook {
  return site.hook.slice(`blocks.${site.layer}.`.length) as GradHook;
}

/** Attribution patching of every site of `kind` over the prompt set (see the module comment). */
export async function attributionPatch(model: Model, set: PatchingPromptSet, kind: PatchKind, opts: Omit<PatchOptions, 'memoryBudgetMB'> = {}): Promise<PatchResult> {
  const started = performance.now();
  const { clean, corrupted, targets } = promptPairs(set);
  const T = clean[0].length;
  const grid = patchSites(model.cfg, kind, T);
  const siteHooks = [...new Set(grid.sites.map((s) => s.hook))];
  const noising = !!opts.noising;
  const cleanRun = await baselineRun(model, clean, targets, siteHooks, opts.signal);
  const corruptedRun = await baselineRun(model, corrupted, targets, siteHooks, opts.signal);
  const cleanMean = mean(cleanRun.diffs);
  const corruptedMean = mean(corruptedRun.diffs);
  normalisedMetric(cleanMean, cleanMean, corruptedMean); // a set whose runs agree is a UserError, as for activation patching
  const [base, source, baseTokens] = noising ? [cleanRun, corruptedRun, clean] : [corruptedRun, cleanRun, corrupted];
  // The backward pass reads every layer's activations, patterns [H, T, T] included: one
  // prompt at a time keeps that to one prompt's worth (the sites' hooks above are batched).
  const gradHooks = backwardHooks(model);

  // Sites sharing a hook and a mask layout share one reduction.
  const groups = new Map<string, PatchSite[]>();
  for (const s of grid.sites) {
    const key = `${s.hook}|${s.maskDims.join(',')}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const sums = new Float64Array(grid.sites.length);
  const P = clean.length;
  const qkv = new Map<number, Float32Array>();
  for (let b = 0; b < P; b++) {
    opts.signal?.throwIfAborted();
    const forward = await model.run({ tokens: [baseTokens[b]], cache: gradHooks, output: { kind: 'none' }, signal: opts.signal });
    const grads = await logitDiffGradients(model, forward.cache, 0, T, targets.answerPos[b], targets.answerIds[b], targets.wrongIds[b], qkv);
    for (const sites of groups.values()) {
      const { hook, layer, maskDims } = sites[0];
      const g = grads[layer][suffixOf(sites[0])];
      if (!g) throw new Error(`no gradient for ${hook}`);
      const a = rowOf(base.cache, hook, b);
      const a2 = rowOf(source.cache, hook, b);
      const prod = new Float64Array(g.length);
      for (let i = 0; i < g.length; i++) prod[i] = (a2.data[i] - a.data[i]) * g[i];
      const reduced = reduceToMask(prod, a.dims, maskDims);
      for (const s of sites) sums[s.index] += reduced[s.cell];
    }
    opts.onProgress?.({ done: b + 1, total: P, message: 'backward passes' });
  }
  const baseMean = mean(base.diffs);
  const values = Array.from(sums, (s) => normalisedMetric(baseMean + s / P, cleanMean, corruptedMean));
  return patchResult(model, grid, clean[0], values, { clean: cleanMean, corrupted: corruptedMean, noising, started, method: 'attribution' });
}

/** Batch row `b` of a cached hook: its data and dims without the batch dim. */
function rowOf(cache: ReadonlyMap<HookName, Tensor>, hook: HookName, b: number): { data: Float32Array; dims: number[] } {
  const t = cache.get(hook);
  if (!t) throw new Error(`the engine did not return ${hook}`);
  const n = t.data.length / t.dims[0];
  return { data: t.data.subarray(b * n, (b + 1) * n), dims: t.dims.slice(1) };
}
