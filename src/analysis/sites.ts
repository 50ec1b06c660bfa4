/**
 * Patch sites: the list of single activations one activation-patching sweep replaces,
 * one generic description per `PatchKind` (the variants of `transformer_lens.patching`).
 *
 * A site is one cell of the result grid: a hook at one layer and, depending on the kind,
 * one position, one head, or one (position, head) pair. Each site says which hook it
 * patches and how to build its mask: the mask has the hook's rank (batch first) with
 * each dim either 1 or the hook's size, and exactly one cell set per patched row.
 *
 * Grids (the order of `PatchResult.values`, row-major):
 *   resid_pre | resid_mid | attn_out | mlp_out        [layer, pos]
 *   block_every                                       [facet, layer, pos]  (resid_pre, attn_out, mlp_out)
 *   attn_head_{out,q,k,v,pattern}_all_pos             [layer, head]        (hook_z, q, k, v, pattern)
 *   attn_head_all_pos_every                           [facet, layer, head] (output, query, key, value, pattern)
 *   attn_head_{out,q,k,v,pattern}_by_pos              [layer, pos, head]
 * For the pattern `_by_pos` kind, `pos` is the destination (query) position, as in
 * TransformerLens; TransformerLens returns that one as [layer, head, dest_pos] and
 * rearranges it to [layer, pos, head] in `get_act_patch_attn_head_by_pos_every`; we use
 * the latter order for every `_by_pos` kind so all of them draw on the same axes.
 */
import { blockHook } from '../engine/hooks';
import type { BlockHookName, BlockHookSuffix } from '../engine/hooks';
import { UserError } from '../engine/errors';
import type { ModelConfig } from '../engine/weights';
import type { PatchKind } from '../protocol/results';

/**
 * How a hook's activation is split into sites, i.e. the mask layout after the batch dim:
 *   pos          [B, T, d] activations, one position:           mask [B, T, 1]
 *   head         [B, T, H, dh] vectors, one head at every pos:  mask [B, 1, H, 1]
 *   pos_head     [B, T, H, dh] vectors, one head at one pos:    mask [B, T, H, 1]
 *   pattern_head [B, H, T, T] patterns, one head, every query:  mask [B, H, 1, 1]
 *   pattern_pos_head  one head at one destination position:     mask [B, H, T, 1]
 */
export type SiteGrain = 'pos' | 'head' | 'pos_head' | 'pattern_head' | 'pattern_pos_head';

export interface Facet {
  /** Label on the facet axis (TransformerLens's names: resid_pre, output, query, …). */
  name: string;
  suffix: BlockHookSuffix;
}

export interface PatchSite {
  /** Index of this site in the flat result grid. */
  index: number;
  facet: number;
  layer: number;
  /** Position (destination position for patterns); -1 when the site covers all positions. */
  pos: number;
  /** Head; -1 when the site is not a head. */
  head: number;
  hook: BlockHookName;
  grain: SiteGrain;
  /** Mask dims after the batch dim, and the one cell (row-major within them) to set. */
  maskDims: number[];
  cell: number;
}

export interface SiteGrid {
  kind: PatchKind;
  dims: number[];
  axes: string[];
  facets: Facet[];
  sites: PatchSite[];
}

type Grid = 'layer_pos' | 'layer_head' | 'layer_pos_head';

interface KindSpec {
  grid: Grid;
  facets: Facet[];
  /** Whether the grid has a leading facet axis (the *_every kinds). */
  facetAxis: boolean;
}

const HEAD_FACETS: Record<'out' | 'q' | 'k' | 'v' | 'pattern', Facet> = {
  out: { name: 'output', suffix: 'attn.hook_z' },
  q: { name: 'query', suffix: 'attn.hook_q' },
  k: { name: 'key', suffix: 'attn.hook_k' },
  v: { name: 'value', suffix: 'attn.hook_v' },
  pattern: { name: 'pattern', suffix: 'attn.hook_pattern' },
};

function posKind(name: string, suffix: BlockHookSuffix): KindSpec {
  return { grid: 'layer_pos', facets: [{ name, suffix }], facetAxis: false };
}

function headKind(facet: keyof typeof HEAD_FACETS, grid: Grid): KindSpec {
  return { grid, facets: [HEAD_FACETS[facet]], facetAxis: false };
}

const KINDS: Record<PatchKind, KindSpec> = {
  resid_pre: posKind('resid_pre', 'hook_resid_pre'),
  resid_mid: posKind('resid_mid', 'hook_resid_mid'),
  attn_out: posKind('attn_out', 'hook_attn_out'),
  mlp_out: posKind('mlp_out', 'hook_mlp_out'),
  block_every: {
    grid: 'layer_pos',
    facetAxis: true,
    facets: [
      { name: 'resid_pre', suffix: 'hook_resid_pre' },
      { name: 'attn_out', suffix: 'hook_attn_out' },
      { name: 'mlp_out', suffix: 'hook_mlp_out' },
    ],
  },
  attn_head_out_all_pos: headKind('out', 'layer_head'),
  attn_head_q_all_pos: headKind('q', 'layer_head'),
  attn_head_k_all_pos: headKind('k', 'layer_head'),
  attn_head_v_all_pos: headKind('v', 'layer_head'),
  attn_head_pattern_all_pos: headKind('pattern', 'layer_head'),
  attn_head_all_pos_every: {
    grid: 'layer_head',
    facetAxis: true,
    facets: [HEAD_FACETS.out, HEAD_FACETS.q, HEAD_FACETS.k, HEAD_FACETS.v, HEAD_FACETS.pattern],
  },
  attn_head_out_by_pos: headKind('out', 'layer_pos_head'),
  attn_head_q_by_pos: headKind('q', 'layer_pos_head'),
  attn_head_k_by_pos: headKind('k', 'layer_pos_head'),
  attn_head_v_by_pos: headKind('v', 'layer_pos_head'),
  attn_head_pattern_by_pos: headKind('pattern', 'layer_pos_head'),
};

export const PATCH_KINDS = Object.keys(KINDS) as PatchKind[];

/** Throws a one-line UserError naming the kind when it is not a PatchKind. */
export function parsePatchKind(kind: string): PatchKind {
  if (Object.prototype.hasOwnProperty.call(KINDS, kind)) return kind as PatchKind;
  throw new UserError(`unknown patch kind "${kind}": expected one of ${PATCH_KINDS.join(', ')}`);
}

function grainOf(grid: Grid, suffix: BlockHookSuffix): SiteGrain {
  const pattern = suffix === 'attn.hook_pattern';
  if (grid === 'layer_pos') return 'pos';
  if (grid === 'layer_head') return pattern ? 'pattern_head' : 'head';
  return pattern ? 'pattern_pos_head' : 'pos_head';
}

/** Mask dims (after batch) and the cell for one site of a grain. */
function maskOf(grain: SiteGrain, T: number, H: number, pos: number, head: number): { maskDims: number[]; cell: number } {
  switch (grain) {
    case 'pos':
      return { maskDims: [T, 1], cell: pos };
    case 'head':
      return { maskDims: [1, H, 1], cell: head };
    case 'pos_head':
      return { maskDims: [T, H, 1], cell: pos * H + head };
    case 'pattern_head':
      return { maskDims: [H, 1, 1], cell: head };
    case 'pattern_pos_head':
      return { maskDims: [H, T, 1], cell: head * T + pos };
  }
}

/**
 * Every site of a kind for a model and a prompt length T, in the row-major order of
 * the result grid. Resid_mid on a parallel-attention model (GPT-NeoX) is a UserError.
 */
export function patchSites(cfg: ModelConfig, kind: PatchKind, T: number): SiteGrid {
  const spec = KINDS[parsePatchKind(kind)];
  if (cfg.parallelAttnMlp && spec.facets.some((f) => f.suffix === 'hook_resid_mid')) {
    throw new UserError(`patch kind "${kind}" needs hook_resid_mid, which this model (attention and MLP in parallel) does not have; use resid_pre, attn_out or mlp_out`);
  }
  const L = cfg.nLayers;
  const H = cfg.nHeads;
  const inner: number[] = spec.grid === 'layer_pos' ? [L, T] : spec.grid === 'layer_head' ? [L, H] : [L, T, H];
  const innerAxes = spec.grid === 'layer_pos' ? ['layer', 'pos'] : spec.grid === 'layer_head' ? ['layer', 'head'] : ['layer', 'pos', 'head'];
  const dims = spec.facetAxis ? [spec.facets.length, ...inner] : inner;
  const axes = spec.facetAxis ? ['facet', ...innerAxes] : innerAxes;
  const sites: PatchSite[] = [];
  spec.facets.forEach((facet, f) => {
    const grain = grainOf(spec.grid, facet.suffix);
    for (let layer = 0; layer < L; layer++) {
      const hook = blockHook(layer, facet.suffix);
      const cells: [number, number][] = [];
      if (spec.grid === 'layer_pos') for (let p = 0; p < T; p++) cells.push([p, -1]);
      else if (spec.grid === 'layer_head') for (let h = 0; h < H; h++) cells.push([-1, h]);
      else for (let p = 0; p < T; p++) for (let h = 0; h < H; h++) cells.push([p, h]);
      for (const [pos, head] of cells) {
        sites.push({ index: sites.length, facet: f, layer, pos, head, hook, grain, ...maskOf(grain, T, H, pos, head) });
      }
    }
  });
  return { kind, dims, axes, facets: spec.facets, sites };
}

/** Number of cells in a site's mask (after the batch dim). */
export function maskCells(site: PatchSite): number {
  return site.maskDims.reduce((a, b) => a * b, 1);
}
