/**
 * Label and number formatting shared by the panels. Tokens are shown the way the seeds
 * show them: `·` for a space, `↩` for a newline, so " Mary" at position 4 is "·Mary 4".
 */

/** A token string with its invisible characters made visible. */
export function showToken(token: string): string {
  return token.replace(/ /g, '·').replace(/\n/g, '↩').replace(/\t/g, '⇥').replace(/\r/g, '');
}

/** Position labels "token index", unique even when a token repeats. */
export function posLabels(strTokens: readonly string[]): string[] {
  return strTokens.map((t, i) => `${showToken(t)} ${i}`);
}

/** "0", "1", … as axis labels. */
export function indexLabels(n: number, prefix = ''): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/** A value for people: 3 significant digits, fixed-point in the usual range. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2);
  return v.toPrecision(3).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/** A probability as a percentage with one decimal. */
export function formatProb(p: number): string {
  return `${(p * 100).toFixed(p < 0.001 ? 3 : 1)}%`;
}

/** A file name part from free text (run kind, title). */
export function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'figure';
}
