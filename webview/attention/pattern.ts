/**
 * Pure helpers over an AttentionResult ([L', H', T, T], query × key): slicing one head,
 * a row (where a destination token attends) and a column (what attends to a source).
 */
import type { AttentionResult } from '../../src/protocol/results';
import { toCsv } from '../shared/csv';
import { posLabels } from '../shared/format';

export interface HeadRef { li: number; hi: number; layer: number; head: number }

export function headRefs(r: AttentionResult): HeadRef[] {
  const out: HeadRef[] = [];
  r.layers.forEach((layer, li) => r.heads.forEach((head, hi) => out.push({ li, hi, layer, head })));
  return out;
}

export function tokenCount(r: AttentionResult): number {
  return r.dims[r.dims.length - 1];
}

/** The [T, T] pattern of one head, row-major (query, key). */
export function headPattern(r: AttentionResult, ref: HeadRef): Float64Array {
  const T = tokenCount(r);
  const off = (ref.li * r.heads.length + ref.hi) * T * T;
  return Float64Array.from(r.values.slice(off, off + T * T));
}

/** Attention from destination (query) q to every key. */
export function attendsTo(p: Float64Array, T: number, q: number): number[] {
  return Array.from(p.subarray(q * T, (q + 1) * T));
}

/** Attention paid to source (key) k by every query. */
export function attendedBy(p: Float64Array, T: number, k: number): number[] {
  return Array.from({ length: T }, (_, q) => p[q * T + k]);
}

export function attentionCsv(r: AttentionResult): string {
  const T = tokenCount(r);
  const labels = posLabels(r.strTokens);
  const rows: (string | number)[][] = [];
  for (const ref of headRefs(r)) {
    const p = headPattern(r, ref);
    for (let q = 0; q < T; q++) for (let k = 0; k <= q; k++) rows.push([ref.layer, ref.head, labels[q], labels[k], p[q * T + k]]);
  }
  return toCsv(['layer', 'head', 'destination', 'source', 'value'], rows);
}
