/** The sum checks of the attribution views (DLA, attention score attribution), pure so they can be tested without a DOM. */
import type { DlaResult, ScoreAttributionResult } from '../../src/protocol/results';

/** "<sumLabel> = Σ vs <actualLabel>: actual, agree to tol" — relative to max(1, |actual|). */
function agreement(sumLabel: string, sum: number, actualLabel: string, actual: number, tol: number, tolText: string): { text: string; ok: boolean } {
  const diff = Math.abs(sum - actual);
  const ok = diff <= tol * Math.max(1, Math.abs(actual));
  const verdict = ok ? `agree to ${tolText}` : `DIFFER by ${diff.toExponential(2)}`;
  return { ok, text: `${sumLabel} = ${sum.toFixed(6)} vs ${actualLabel}: ${actual.toFixed(6)}, ${verdict}` };
}

/** Σ pieces + bias against the actual logit difference, in words. Tolerance 1e-6 relative. */
export function sumCheck(r: DlaResult): { text: string; ok: boolean } {
  const sum = r.layers.values.reduce((a, b) => a + b, 0) + r.biasTerm;
  return agreement('Σ pieces + bias', sum, 'actual logit diff', r.actual, 1e-6, '1e-6');
}

/** Every piece of a score attribution, in the order the panel shows them (misc row first). */
export function scorePieces(r: ScoreAttributionResult): number[] {
  return [r.embed, ...(r.posEmbed === null ? [] : [r.posEmbed]), r.attnBias, r.otherBias, ...r.components.values];
}

/**
 * Σ of the shown pieces against the score the model computes (hook_attn_scores). The
 * score is a float32 dot product of d_head terms: 1e-5 relative leaves room for that.
 */
export function scoreCheck(r: ScoreAttributionResult): { text: string; ok: boolean } {
  const sum = scorePieces(r).reduce((a, b) => a + b, 0);
  return agreement('Σ pieces', sum, 'the model\'s score (hook_attn_scores)', r.actual, 1e-5, '1e-5');
}
