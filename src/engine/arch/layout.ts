/** Index rearrangements between Hugging Face layouts and TransformerLens's canonical ones. */
import { tensor } from '../tensor';
import type { Tensor } from '../tensor';

/** [rows, cols] → [cols, rows], reshaped to `dims` (row-major, product rows*cols). */
export function transpose2d(t: Tensor, dims?: readonly number[]): Tensor {
  const [rows, cols] = t.dims;
  const out = new Float32Array(rows * cols);
  const src = t.data;
  // In tiles, so both sides stay in cache: a plain loop writes one float per cache line
  // and took a second for gpt2-small's [50257, 768] embedding.
  const TILE = 64;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let c = c0; c < c1; c++) {
        const o = c * rows;
        for (let r = r0; r < r1; r++) out[o + r] = src[r * cols + c];
      }
    }
  }
  return tensor(dims ?? [cols, rows], out);
}

/** Same data, new dims (e.g. [H*dh, d] → [H, dh, d]). */
export function reshape(t: Tensor, dims: readonly number[]): Tensor {
  return tensor(dims, t.data);
}

/**
 * Gather a [H, rows, dh] tensor from a matrix whose element (r, h, k) sits at
 * `at(r, h, k)` of `src`: used for fused QKV matrices whatever their layout.
 */
export function gatherHeads(src: Float32Array, rows: number, nHeads: number, dHead: number, at: (r: number, h: number, k: number) => number): Tensor {
  const out = new Float32Array(nHeads * rows * dHead);
  let i = 0;
  for (let h = 0; h < nHeads; h++) {
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < dHead; k++) out[i++] = src[at(r, h, k)];
    }
  }
  return tensor([nHeads, rows, dHead], out);
}

export function zeros(dims: readonly number[]): Tensor {
  return tensor(dims);
}
