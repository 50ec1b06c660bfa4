/**
 * TransformerLens's weight processing (HookedTransformer.process_weights_ /
 * load_and_process_state_dict), in the same order and with the same semantics:
 *   fold_ln                LN weight into the matrices that read from it, LN bias into
 *                          their biases, then centre those reading matrices along d_model
 *                          (what is left of the LN is "LNPre": centre and scale).
 *   center_writing_weights W_E, W_pos, W_O, b_O, W_out, b_out centred along d_model (TL
 *                          does this for LayerNorm models whether or not fold_ln is on).
 *   center_unembed         W_U and b_U centred over the vocabulary.
 *   fold_value_biases      b_O += Σ_h b_V[h] @ W_O[h]; b_V = 0.
 * Arithmetic in float64, results stored as float32. Steps already applied to the input
 * (per `w.processing`) are not applied twice.
 */
import { tensor } from './tensor';
import type { Tensor } from './tensor';
import type { BlockWeights, CanonicalWeights, LayerNormWeights, ProcessingOptions } from './weights';

type F64 = Float64Array;

function f64(t: Tensor): F64 {
  return Float64Array.from(t.data);
}

function f32(dims: readonly number[], a: F64): Tensor {
  return tensor(dims, Float32Array.from(a));
}

/**
 * Fold a LayerNorm into a reader viewed as [groups, d, cols] with bias [groups, cols]:
 * b[g,c] += Σ_m W[g,m,c]·ln.b[m]; W[g,m,c] *= ln.w[m]; then W[g,:,c] -= mean_m W[g,:,c].
 */
function foldLnInto(W: F64, bias: F64, ln: { w: F64; b: F64 }, groups: number, d: number, cols: number): void {
  for (let g = 0; g < groups; g++) {
    const base = g * d * cols;
    const mean = new Float64Array(cols);
    for (let m = 0; m < d; m++) {
      const row = base + m * cols;
      const lw = ln.w[m];
      const lb = ln.b[m];
      for (let c = 0; c < cols; c++) {
        bias[g * cols + c] += W[row + c] * lb;
        const v = W[row + c] * lw;
        W[row + c] = v;
        mean[c] += v;
      }
    }
    for (let c = 0; c < cols; c++) mean[c] /= d;
    for (let m = 0; m < d; m++) {
      const row = base + m * cols;
      for (let c = 0; c < cols; c++) W[row + c] -= mean[c];
    }
  }
}

/** Subtract from each run of `n` contiguous values its mean (centring along the last dim). */
function centerLastDim(a: F64, n: number): void {
  for (let start = 0; start < a.length; start += n) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[start + i];
    const mean = s / n;
    for (let i = 0; i < n; i++) a[start + i] -= mean;
  }
}

function lnF64(ln: LayerNormWeights): { w: F64; b: F64 } | null {
  return ln ? { w: f64(ln.w), b: f64(ln.b) } : null;
}

interface Block64 {
  ln1: { w: F64; b: F64 } | null;
  ln2: { w: F64; b: F64 } | null;
  W_Q: F64; b_Q: F64; W_K: F64; b_K: F64; W_V: F64; b_V: F64;
  W_O: F64; b_O: F64; W_in: F64; b_in: F64; W_out: F64; b_out: F64;
}

function toBlock64(b: BlockWeights): Block64 {
  return {
    ln1: lnF64(b.ln1), ln2: lnF64(b.ln2),
    W_Q: f64(b.W_Q), b_Q: f64(b.b_Q), W_K: f64(b.W_K), b_K: f64(b.b_K), W_V: f64(b.W_V), b_V: f64(b.b_V),
    W_O: f64(b.W_O), b_O: f64(b.b_O), W_in: f64(b.W_in), b_in: f64(b.b_in), W_out: f64(b.W_out), b_out: f64(b.b_out),
  };
}

function lnBack(ln: { w: F64; b: F64 } | null, d: number): LayerNormWeights {
  return ln ? { w: f32([d], ln.w), b: f32([d], ln.b) } : null;
}

export function processWeights(w: CanonicalWeights, opts: ProcessingOptions): CanonicalWeights {
  const { dModel: d, nHeads: H, dHead: dh, dMlp, dVocab: V } = w.cfg;
  const done = w.processing;
  const foldLn = opts.foldLn && !done.foldLn;
  const centerWriting = opts.centerWritingWeights && !done.centerWritingWeights;
  const centerUnembed = opts.centerUnembed && !done.centerUnembed;
  const foldValueBiases = opts.foldValueBiases && !done.foldValueBiases;

  const W_E = f64(w.W_E);
  const W_pos = w.W_pos ? f64(w.W_pos) : null;
  const blocks = w.blocks.map(toBlock64);
  let lnFinal = lnF64(w.lnFinal);
  const W_U = f64(w.W_U);
  const b_U = f64(w.b_U);

  if (foldLn) {
    for (const b of blocks) {
      if (b.ln1) {
        for (const [W, bias] of [[b.W_Q, b.b_Q], [b.W_K, b.b_K], [b.W_V, b.b_V]] as const) foldLnInto(W, bias, b.ln1, H, d, dh);
        b.ln1 = null;
      }
      if (b.ln2) {
        foldLnInto(b.W_in, b.b_in, b.ln2, 1, d, dMlp);
        b.ln2 = null;
      }
    }
    if (lnFinal) {
      foldLnInto(W_U, b_U, lnFinal, 1, d, V);
      lnFinal = null;
    }
  }

  if (centerWriting) {
    centerLastDim(W_E, d);
    if (W_pos) centerLastDim(W_pos, d);
    for (const b of blocks) {
      centerLastDim(b.W_O, d);
      centerLastDim(b.b_O, d);
      centerLastDim(b.W_out, d);
      centerLastDim(b.b_out, d);
    }
  }

  if (centerUnembed) {
    centerLastDim(W_U, V);
    centerLastDim(b_U, V);
  }

  if (foldValueBiases) {
    for (const b of blocks) {
      for (let h = 0; h < H; h++) {
        for (let k = 0; k < dh; k++) {
          const bv = b.b_V[h * dh + k];
          const row = (h * dh + k) * d;
          for (let m = 0; m < d; m++) b.b_O[m] += bv * b.W_O[row + m];
        }
      }
      b.b_V.fill(0);
    }
  }

  return {
    cfg: w.cfg,
    W_E: f32(w.W_E.dims, W_E),
    W_pos: W_pos && w.W_pos ? f32(w.W_pos.dims, W_pos) : null,
    blocks: blocks.map((b) => ({
      ln1: lnBack(b.ln1, d),
      W_Q: f32([H, d, dh], b.W_Q), b_Q: f32([H, dh], b.b_Q),
      W_K: f32([H, d, dh], b.W_K), b_K: f32([H, dh], b.b_K),
      W_V: f32([H, d, dh], b.W_V), b_V: f32([H, dh], b.b_V),
      W_O: f32([H, dh, d], b.W_O), b_O: f32([d], b.b_O),
      ln2: lnBack(b.ln2, d),
      W_in: f32([d, dMlp], b.W_in), b_in: f32([dMlp], b.b_in),
      W_out: f32([dMlp, d], b.W_out), b_out: f32([d], b.b_out),
    })),
    lnFinal: lnBack(lnFinal, d),
    W_U: f32([d, V], W_U),
    b_U: f32([V], b_U),
    processing: {
      foldLn: done.foldLn || foldLn,
      centerWritingWeights: done.centerWritingWeights || centerWriting,
      centerUnembed: done.centerUnembed || centerUnembed,
      foldValueBiases: done.foldValueBiases || foldValueBiases,
    },
  };
}
