/**
 * Colour scales. Patching results, logit differences and attributions are signed, so the
 * scale diverges around 0 with white in the middle, like the notebooks' plotly "RdBu"
 * with color_continuous_midpoint=0: negative red, positive blue. The scale is symmetric
 * (±max|v|) so equal magnitudes get equal saturation whatever the sign.
 */
import { interpolateBlues, interpolateOranges, interpolateRdBu } from 'd3-scale-chromatic';
import { rgb } from 'd3-color';

/** Largest |v| over finite values; 1 when there is none (so an all-zero map stays white). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (Number.isFinite(a) && a > m) m = a;
  }
  return m > 0 ? m : 1;
}

/** Where v sits on the [−m, m] scale as t in [0, 1]; 0 maps to 0.5, ±m to 1 / 0. */
export function colourPosition(v: number, m: number): number {
  if (!Number.isFinite(v)) return 0.5;
  const t = 0.5 + v / (2 * m);
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

/** Fill colour of a signed value on the symmetric scale ±m. */
export function divergingColour(v: number, m: number): string {
  return interpolateRdBu(colourPosition(v, m));
}

/** Fill colour of a probability / attention weight in [0, 1]. */
export function sequentialColour(p: number): string {
  return interpolateBlues(Number.isFinite(p) ? Math.max(0, Math.min(1, p)) * 0.9 : 0);
}

/** Black or white, whichever reads better on the given fill (WCAG relative luminance). */
export function textColourOn(fill: string): 'black' | 'white' {
  const c = rgb(fill);
  const lin = (x: number) => {
    const s = x / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const lum = 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  return lum > 0.179 ? 'black' : 'white';
}

/** A second sequential scale, for "what attends to this token" next to the blue "where it attends". */
export function sequentialColourAlt(p: number): string {
  return interpolateOranges(Number.isFinite(p) ? Math.max(0, Math.min(1, p)) * 0.9 : 0);
}
