/** The DLA sum check, pure so it can be tested without a DOM. */
import type { DlaResult } from '../../src/protocol/results';

/** Σ pieces + bias against the actual logit difference, in words. Tolerance 1e-6 relative. */
export function sumCheck(r: DlaResult): { text: string; ok: boolean } {
  const sum = r.layers.values.reduce((a, b) => a + b, 0) + r.biasTerm;
  const diff = Math.abs(sum - r.actual);
  const ok = diff <= 1e-6 * Math.max(1, Math.abs(r.actual));
  const verdict = ok ? 'agree to 1e-6' : `DIFFER by ${diff.toExponential(2)}`;
  return { ok, text: `Σ pieces + bias = ${sum.toFixed(6)} vs actual logit diff: ${r.actual.toFixed(6)}, ${verdict}` };
}
