/**
 * The end of the forward pass: ln_final (LayerNorm, or LNPre once folded) and the
 * unembedding. ln_final runs in TypeScript (it is cheap, and only the rows needed are
 * normalised); the full [d_model, d_vocab] unembedding is a graph; the "finish early"
 * path dots ln_final's output with only the K asked columns of W_U (+ b_U), in float64.
 */
import { UserError } from './errors';
import { GraphBuilder } from './graph/builder';
import { strides, type Tensor } from './tensor';
import type { Patch } from './types';
import type { CanonicalWeights, LayerNormWeights } from './weights';

export const UNEMBED_INPUT = 'ln_final_out';
export const UNEMBED_OUTPUT = 'logits';

/** x [rows, d_model] → logits [rows, d_vocab] = x @ W_U + b_U. */
export function buildUnembedGraph(w: CanonicalWeights): Uint8Array {
  const g = new GraphBuilder('unembed');
  const x = g.input(UNEMBED_INPUT, 'float', ['rows', w.cfg.dModel]);
  g.add(g.matMul(x, g.initializer('W_U', w.W_U)), g.initializer('b_U', w.b_U), UNEMBED_OUTPUT);
  g.output(UNEMBED_OUTPUT, 'float', ['rows', w.cfg.dVocab]);
  return g.build();
}

/** ln_final.hook_scale [batch, pos, 1] = sqrt(mean((x - mean)²) + eps) of the final residual. */
export function lnFinalScale(resid: Tensor, eps: number): Tensor {
  const [B, T, d] = resid.dims;
  const out = new Float32Array(B * T);
  for (let r = 0; r < B * T; r++) out[r] = rowScale(resid.data, r * d, d, eps);
  return { dims: [B, T, 1], data: out };
}

function rowScale(x: Float32Array, off: number, d: number, eps: number): number {
  let mean = 0;
  for (let i = 0; i < d; i++) mean += x[off + i];
  mean /= d;
  let v = 0;
  for (let i = 0; i < d; i++) v += (x[off + i] - mean) ** 2;
  return Math.sqrt(v / d + eps);
}

/**
 * ln_final's output at the rows (batch b[i], position p[i]) → [N, d_model]. Uses `scale`
 * ([batch, pos, 1], e.g. patched) when given, else computes each row's own.
 */
export function lnFinalRows(resid: Tensor, b: Int32Array, p: Int32Array, ln: LayerNormWeights, eps: number, scale?: Tensor): Float32Array {
  const [, T, d] = resid.dims;
  const out = new Float32Array(b.length * d);
  const x = resid.data;
  for (let i = 0; i < b.length; i++) {
    const off = (b[i] * T + p[i]) * d;
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x[off + j];
    mean /= d;
    // Rounded to float32 like a cached hook_scale, so caching it (or patching it with itself) changes nothing.
    const s = scale ? scale.data[b[i] * T + p[i]] : Math.fround(rowScale(x, off, d, eps));
    for (let j = 0; j < d; j++) {
      let y = (x[off + j] - mean) / s;
      if (ln) y = y * ln.w.data[j] + ln.b.data[j];
      out[i * d + j] = y;
    }
  }
  return out;
}

/** logits [N, K]: row i of `x` [N, d] dotted with W_U[:, tokens[i][k]], plus b_U. */
export function columnLogits(x: Float32Array, w: CanonicalWeights, tokens: readonly Int32Array[]): Tensor {
  const d = w.cfg.dModel;
  const V = w.cfg.dVocab;
  const N = tokens.length;
  const K = N ? tokens[0].length : 0;
  const out = new Float32Array(N * K);
  const WU = w.W_U.data;
  for (let i = 0; i < N; i++) {
    if (tokens[i].length !== K) throw new UserError(`output columns: row ${i} asks ${tokens[i].length} tokens, row 0 asks ${K}; every row must ask the same number`);
    for (let k = 0; k < K; k++) {
      const t = tokens[i][k];
      if (!(t >= 0 && t < V)) throw new UserError(`output columns: token id ${t} (row ${i}) is outside the vocabulary 0..${V - 1}`);
      let acc = w.b_U.data[t];
      for (let j = 0; j < d; j++) acc += x[i * d + j] * WU[j * V + t];
      out[i * K + k] = acc;
    }
  }
  return { dims: [N, K], data: out };
}

/** A patch applied in TypeScript (for ln_final.hook_scale, the one hook outside the graphs). */
export function applyPatchInPlace(h: Tensor, patch: Patch): void {
  const dims = h.dims;
  const rank = dims.length;
  const bcast = (t: readonly number[], i: number) => (t[i] === 1 ? 0 : 1);
  const hStr = strides(dims);
  const mStr = strides(patch.mask.dims);
  const vStr = strides(patch.value.dims);
  const idx = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < h.data.length; flat++) {
    let rem = flat;
    for (let a = 0; a < rank; a++) {
      idx[a] = Math.floor(rem / hStr[a]);
      rem -= idx[a] * hStr[a];
    }
    let mOff = 0;
    for (let a = 0; a < rank; a++) mOff += idx[a] * bcast(patch.mask.dims, a) * mStr[a];
    if (patch.mask.data[mOff] === 0) continue;
    const src = patch.source.length === 1 ? patch.source[0] : patch.source[idx[0]];
    let vOff = src * vStr[0];
    for (let a = 1; a < rank; a++) vOff += idx[a] * bcast(patch.value.dims, a) * vStr[a];
    (h.data as Float32Array)[flat] = patch.value.data[vOff];
  }
}
