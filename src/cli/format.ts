/**
 * Human-readable output of the CLI: aligned tables and text heatmaps with labels.
 * Tokens are shown with visible whitespace (`·` for a space, `↩` for a newline).
 */
import { displayToken } from '../protocol/tokens';

export const tok = (s: string): string => displayToken(s);

export function fmt(v: number, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return v.toFixed(digits);
}

export const pct = (p: number): string => `${(p * 100).toFixed(2)}%`;

/** Monospace width, counting each code point as one column. */
const width = (s: string): number => [...s].length;
const pad = (s: string, w: number, right = false): string => (right ? ' '.repeat(Math.max(0, w - width(s))) + s : s + ' '.repeat(Math.max(0, w - width(s))));

/** An aligned table; numeric-looking cells are right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const cols = header.length;
  const w = Array.from({ length: cols }, (_, c) => Math.max(width(header[c]), ...rows.map((r) => width(r[c] ?? ''))));
  const numeric = (s: string) => /^[-+]?(\d|inf|nan)/.test(s);
  // The first column holds labels ("0 attn", token strings): always left-aligned.
  const line = (r: string[]) => r.map((cell, c) => pad(cell ?? '', w[c], c > 0 && numeric(cell ?? ''))).join('  ').trimEnd();
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

/**
 * A 2-D heatmap [rows, cols] as text: a value per cell plus a shade from the colour scale
 * (blank for ~0, ░▒▓█ for growing |v|, sign shown by the number) so patterns jump out.
 */
export function heatmap(title: string, rowName: string, rowLabels: string[], colLabels: string[], values: ArrayLike<number>, digits = 2): string {
  const max = Math.max(1e-12, ...Array.from(values, (v) => (Number.isFinite(v) ? Math.abs(v) : 0)));
  const shade = (v: number) => {
    const a = Math.abs(v) / max;
    return a < 0.1 ? ' ' : a < 0.35 ? '░' : a < 0.6 ? '▒' : a < 0.85 ? '▓' : '█';
  };
  const rows = rowLabels.map((label, r) => [label, ...colLabels.map((_, c) => {
    const v = values[r * colLabels.length + c];
    return `${fmt(v, digits)}${shade(v)}`;
  })]);
  return `${title}\n${table([rowName, ...colLabels], rows)}`;
}

/** Labels 0..n-1 with a prefix ("L0", "H1"). */
export const indexLabels = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
