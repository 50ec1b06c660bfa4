/**
 * Patching inside the graph. Every hook h gets three extra inputs and becomes
 *   h' = Where(mask != 0, Gather(value, source, axis 0), h)
 * `<hook>.mask`   float, h's rank, each dim 1 or h's size (non-zero = patched)
 * `<hook>.value`  float [S, ...h's dims without batch] (S source rows)
 * `<hook>.source` int64 [B] (row of value for each batch row)
 * Where (not h + mask*(v - h)) so a patch is exact and the -inf of attn_scores stays -inf.
 * An unused hook is fed an all-ones-shaped zero mask (see `idlePatchFeeds`), so one graph
 * serves every experiment.
 */
import type { Dim, GraphBuilder } from './builder';

export function patchFeedNames(hook: string): { mask: string; value: string; source: string } {
  return { mask: `${hook}.mask`, value: `${hook}.value`, source: `${hook}.source` };
}

/** Wires hook `hook` (an output named exactly the hook) over the value `h` of shape `dims`. */
export function patchableHook(g: GraphBuilder, hook: string, h: string, dims: readonly Dim[]): string {
  const f = patchFeedNames(hook);
  g.input(f.mask, 'float', dims.map((_, i) => `${hook}.mask_d${i}`));
  g.input(f.value, 'float', [`${hook}.value_rows`, ...dims.slice(1).map((_, i) => `${hook}.value_d${i + 1}`)]);
  g.input(f.source, 'int64', [`${hook}.source_rows`]);
  const gathered = g.gather(f.value, f.source, 0);
  const cond = g.castBool(f.mask);
  const out = g.where(cond, gathered, h, hook);
  g.output(hook, 'float', dims);
  return out;
}
