/**
 * Turns analysis results into heatmap specs (pure data, no DOM): one spec per facet, rows
 * are layers, columns positions or heads. Handles every patching shape of
 * transformer_lens.patching: [L,T], [L,H], [3,L,T] (block_every), [5,L,H]
 * (attn_head_all_pos_every) and [L,T,H] (the _by_pos kinds).
 */
import type { DlaResult, HeadsResult, PatchResult, PathPatchResult, ScoreAttributionResult } from '../../src/protocol/results';
import { maxAbs } from './colour';
import { toCsv } from './csv';
import { indexLabels, posLabels } from './format';

export type ColAxis = 'pos' | 'head';

export interface HeatmapSpec {
  title: string;
  rowLabels: string[];
  colAxis: ColAxis;
  colLabels: string[];
  /** rows × cols, row-major. */
  values: number[];
  /** Half-width of the colour scale, shared by the facets of one figure. */
  colourMax: number;
  /** Set for one head's slice of an [L,T,H] result, so cells carry data-head too. */
  head?: number;
  /** The layer each row stands for (data-layer, head clicks); null for a row that is not a layer (a "misc" row). Default: the row index. */
  rowLayers?: (number | null)[];
  /** Only the columns before this one are heads (an "MLP" column after them is not). Default: every column. */
  headCols?: number;
  /** Per cell, row-major: what it is ("head 1.2", "MLP 1", "W_E"), for the tooltip and aria-label. A NaN value is an empty cell. */
  cellNames?: string[];
  /** Per cell: a short tag written inside it ('' for none), as the notebooks tag a misc row's W_E, W_pos, b_K. */
  cellTags?: string[];
  /** Axis titles; default "layer" and "head" / "position". */
  rowTitle?: string;
  colTitle?: string;
  /** A line under the map (e.g. a sum check), so it travels with the exported figure. */
  note?: string;
}

/** For [L,T,H] results: one head's slice, or a facet per head. */
export type HeadChoice = number | 'each';

const FACETS_BLOCK = ['resid_pre', 'attn_out', 'mlp_out'];
const FACETS_EVERY = ['output', 'query', 'key', 'value', 'pattern'];

function axisLabels(r: { labels?: { [a: string]: string[] }; strTokens?: string[] }, axis: string, n: number): string[] {
  const given = r.labels?.[axis];
  if (given && given.length === n) return given;
  if (axis === 'pos' && r.strTokens && r.strTokens.length === n) return posLabels(r.strTokens);
  if (axis === 'facet') return n === 3 ? FACETS_BLOCK : n === 5 ? FACETS_EVERY : indexLabels(n);
  return indexLabels(n);
}

/** The axis names of a result, defaulting from its rank when the result omits them. */
function axesOf(r: { axes?: string[]; dims: number[] }, headKind: boolean): string[] {
  if (r.axes && r.axes.length === r.dims.length) return r.axes;
  if (r.dims.length === 2) return ['layer', headKind ? 'head' : 'pos'];
  if (r.dims.length === 3 && headKind) return ['layer', 'pos', 'head'];
  return ['facet', 'layer', headKind ? 'head' : 'pos'];
}

export function patchHeatmaps(r: PatchResult | PathPatchResult, choice: HeadChoice = 'each'): HeatmapSpec[] {
  const kind = 'kind' in r ? r.kind : 'path_patch';
  const headKind = kind === 'path_patch' || kind.startsWith('attn_head');
  const axes = axesOf(r, headKind);
  const dims = r.dims;
  if (dims.reduce((a, b) => a * b, 1) !== r.values.length) {
    throw new Error(`result ${kind}: dims [${dims.join(', ')}] do not match ${r.values.length} values`);
  }
  const colourMax = maxAbs(r.values);
  const labels = axes.map((a, i) => axisLabels(r as PatchResult, a, dims[i]));
  if (dims.length === 2) {
    return [{ title: kind, rowLabels: labels[0], colAxis: axes[1] as ColAxis, colLabels: labels[1], values: r.values.slice(), colourMax }];
  }
  if (axes[0] === 'facet') {
    const size = dims[1] * dims[2];
    return labels[0].map((f, i) => ({
      title: f,
      rowLabels: labels[1],
      colAxis: axes[2] as ColAxis,
      colLabels: labels[2],
      values: r.values.slice(i * size, (i + 1) * size),
      colourMax,
    }));
  }
  // [L, T, H]: one [L, T] map per head.
  const [L, T, H] = dims;
  const heads = choice === 'each' ? indexLabels(H).map(Number) : [choice];
  return heads.map((h) => {
    const values: number[] = [];
    for (let l = 0; l < L; l++) for (let t = 0; t < T; t++) values.push(r.values[(l * T + t) * H + h]);
    return { title: `head ${h}`, rowLabels: labels[0], colAxis: 'pos' as const, colLabels: labels[1], values, colourMax, head: h };
  });
}

/** Head detector scores, one [L,H] map per detector. */
export function headsHeatmaps(r: HeadsResult): HeatmapSpec[] {
  const [L, H] = r.dims;
  return Object.entries(r.scores).map(([name, values]) => ({
    title: `${name} score`,
    rowLabels: indexLabels(L),
    colAxis: 'head' as const,
    colLabels: indexLabels(H),
    values: values.slice(),
    // Detector scores live in [0, 1] (copying in [−1, 1]): a fixed scale keeps a 0.02
    // induction score pale, as it should be, instead of stretching it to full colour.
    colourMax: 1,
  }));
}

/** Direct logit attribution of each head, [L,H]. */
export function dlaHeadHeatmap(r: DlaResult): HeatmapSpec {
  const [L, H] = r.heads.dims;
  return {
    title: 'logit difference from each head',
    rowLabels: indexLabels(L),
    colAxis: 'head',
    colLabels: indexLabels(H),
    values: r.heads.values.slice(),
    colourMax: maxAbs(r.heads.values),
  };
}

/** A misc-row piece of a score attribution: its tag in the cell, its name, its value. */
export interface ScoreMiscPiece { tag: string; name: string; value: number }

/** The pieces that are not a head or an MLP: embeddings and biases (W_pos absent for rotary models). */
export function scoreMiscPieces(r: ScoreAttributionResult): ScoreMiscPiece[] {
  const fixed = r.side === 'key' ? 'b_K' : 'b_Q';
  return [
    { tag: 'W_E', name: 'W_E: the token embedding (hook_embed)', value: r.embed },
    ...(r.posEmbed === null ? [] : [{ tag: 'W_pos', name: 'W_pos: the positional embedding (hook_pos_embed)', value: r.posEmbed }]),
    { tag: 'b_O', name: 'b_O: the earlier layers\' attention output biases', value: r.attnBias },
    { tag: fixed, name: `${fixed}: this side's bias against the fixed ${r.side === 'key' ? 'query' : 'key'} (with ln1's bias when not folded)`, value: r.otherBias },
  ];
}

/**
 * Attention score attribution as the notebooks draw it: a "misc" row (W_E, W_pos, the
 * biases, each a tagged cell) above one row per earlier layer, columns heads 0..H-1 and
 * "MLP". Columns are padded (empty cells) should the misc pieces outnumber them.
 */
export function scoreHeatmap(r: ScoreAttributionResult): HeatmapSpec {
  const [L, C0] = r.components.dims;
  const H = C0 - 1;
  if (L * C0 !== r.components.values.length) throw new Error(`score attribution: dims [${L}, ${C0}] do not match ${r.components.values.length} values`);
  const misc = scoreMiscPieces(r);
  const C = Math.max(C0, misc.length);
  const colLabels = [...indexLabels(H), 'MLP', ...Array.from({ length: C - C0 }, () => '')];
  const values: number[] = [];
  const cellNames: string[] = [];
  const cellTags: string[] = [];
  for (let c = 0; c < C; c++) {
    values.push(misc[c]?.value ?? NaN);
    cellNames.push(misc[c]?.name ?? '');
    cellTags.push(misc[c]?.tag ?? '');
  }
  for (let l = 0; l < L; l++) for (let c = 0; c < C; c++) {
    values.push(c < C0 ? r.components.values[l * C0 + c] : NaN);
    cellNames.push(c < H ? `head ${l}.${c}` : c === H ? `MLP ${l}` : '');
    cellTags.push('');
  }
  return {
    title: `Contribution to L${r.layer}H${r.head}'s attention score (${r.side} side)`,
    rowLabels: ['misc', ...indexLabels(L)],
    rowLayers: [null, ...Array.from({ length: L }, (_, l) => l)],
    colAxis: 'head',
    colLabels,
    headCols: H,
    values,
    colourMax: maxAbs(values),
    cellNames,
    cellTags,
    colTitle: 'component (heads, MLP)',
  };
}

/** Long-format CSV of heatmaps: facet, layer, pos/head (and head for by-pos slices), value. */
export function heatmapsCsv(specs: readonly HeatmapSpec[]): string {
  const withHead = specs.some((s) => s.head !== undefined);
  const colAxis = specs[0]?.colAxis ?? 'pos';
  const header = ['facet', 'layer', colAxis, ...(withHead ? ['head'] : []), 'value'];
  const rows: (string | number)[][] = [];
  for (const s of specs) {
    const C = s.colLabels.length;
    s.rowLabels.forEach((rl, i) =>
      s.colLabels.forEach((cl, j) => rows.push([s.title, rl, cl, ...(withHead ? [s.head ?? ''] : []), s.values[i * C + j]])),
    );
  }
  return toCsv(header, rows);
}
