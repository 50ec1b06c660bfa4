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
 * `inPlace` (the loader's choice) writes into the input's arrays instead of copies: on
 * gpt2-small the copies are 500 MB of fresh memory, a second or two of page faults alone.
 */
import { tensor } from './tensor';
import type { Tensor } from './tensor';
import type { BlockWeights, CanonicalWeights, LayerNormWeights, ProcessingOptions } from './weights';

// Working copies stay float32 (a float64 copy of gpt2-small costs seconds and 1 GB);
// every product, sum and mean is computed in float64 and rounded once when stored.
type F32 = Float32Array;

export interface ProcessOptions {
  /** Reuse `w`'s arrays (the caller gives `w` up; no two of its tensors may share data). */
  inPlace?: boolean;
}

function copy(t: Tensor): F32 {
  return t.data.slice();
}

function own(t: Tensor): F32 {
  return t.data;
}

/**
 * Fold a LayerNorm into a reader viewed as [groups, d, cols] with bias [groups, cols]:
 * b[g,c] += Σ_m W[g,m,c]·ln.b[m]; W[g,m,c] *= ln.w[m]; then W[g,:,c] -= mean_m W[g,:,c].
 */
function foldLnInto(W: F32, bias: F32, ln: { w: F32; b: F32 }, groups: number, d: number, cols: number): void {
  const biasAcc = new Float64Array(cols);
  const sum = new Float64Array(cols);
  for (let g = 0; g < groups; g++) {
    const base = g * d * cols;
    biasAcc.fill(0);
    sum.fill(0);
    for (let m = 0; m < d; m++) {
      const row = base + m * cols;
      const lw = ln.w[m];
      const lb = ln.b[m];
      for (let c = 0; c < cols; c++) {
        const w = W[row + c];
        biasAcc[c] += w * lb;
        sum[c] += w * lw;
      }
    }
    for (let c = 0; c < cols; c++) bias[g * cols + c] += biasAcc[c];
    for (let m = 0; m < d; m++) {
      const row = base + m * cols;
      const lw = ln.w[m];
      for (let c = 0; c < cols; c++) W[row + c] = W[row + c] * lw - sum[c] / d;
    }
  }
}

/** Subtract from each run of `n` contiguous values its mean (centring along the last dim). */
function centerLastDim(a: F32, n: number): void {
  for (let start = 0; start < a.length; start += n) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[start + i];
    const mean = s / n;
    for (let i = 0; i < n; i++) a[start + i] -= mean;
  }
}

type Ln = { w: F32; b: F32 } | null;

function lnCopy(ln: LayerNormWeights, take: (t: Tensor) => F32): Ln {
  return ln ? { w: take(ln.w), b: take(ln.b) } : null;
}

interface WorkBlock {
  ln1: Ln;
  ln2: Ln;
  W_Q: F32; b_Q: F32; W_K: F32; b_K: F32; W_V: F32; b_V: F32;
  W_O: F32; b_O: F32; W_in: F32; b_in: F32; W_out: F32; b_out: F32;
}

function toWork(b: BlockWeights, take: (t: Tensor) => F32): WorkBlock {
  return {
    ln1: lnCopy(b.ln1, take), ln2: lnCopy(b.ln2, take),
    W_Q: take(b.W_Q), b_Q: take(b.b_Q), W_K: take(b.W_K), b_K: take(b.b_K), W_V: take(b.W_V), b_V: take(b.b_V),
    W_O: take(b.W_O), b_O: take(b.b_O), W_in: take(b.W_in), b_in: take(b.b_in), W_out: take(b.W_out), b_out: take(b.b_out),
  };
}

function lnBack(ln: Ln, d: number): LayerNormWeights {
  return ln ? { w: tensor([d], ln.w), b: tensor([d], ln.b) } : null;
}

export function processWeights(w: CanonicalWeights, opts: ProcessingOptions, how: ProcessOptions = {}): CanonicalWeights {
  const { dModel: d, nHeads: H, dHead: dh, dMlp, dVocab: V } = w.cfg;
  const done = w.processing;
  const foldLn = opts.foldLn && !done.foldLn;
  const centerWriting = opts.centerWritingWeights && !done.centerWritingWeights;
  const centerUnembed = opts.centerUnembed && !done.centerUnembed;
  const foldValueBiases = opts.foldValueBiases && !done.foldValueBiases;

  const take = how.inPlace ? own : copy;
  const W_E = take(w.W_E);
  const W_pos = w.W_pos ? take(w.W_pos) : null;
  const blocks = w.blocks.map((b) => toWork(b, take));
  let lnFinal = lnCopy(w.lnFinal, take);
  const W_U = take(w.W_U);
  const b_U = take(w.b_U);

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
    const acc = new Float64Array(d);
    for (const b of blocks) {
      acc.fill(0);
      for (let hk = 0; hk < H * dh; hk++) {
        const bv = b.b_V[hk];
        for (let m = 0; m < d; m++) acc[m] += bv * b.W_O[hk * d + m];
      }
      for (let m = 0; m < d; m++) b.b_O[m] += acc[m];
      b.b_V.fill(0);
    }
  }

  return {
    cfg: w.cfg,
    W_E: tensor(w.W_E.dims, W_E),
    W_pos: W_pos && w.W_pos ? tensor(w.W_pos.dims, W_pos) : null,
    blocks: blocks.map((b) => ({
      ln1: lnBack(b.ln1, d),
      W_Q: tensor([H, d, dh], b.W_Q), b_Q: tensor([H, dh], b.b_Q),
      W_K: tensor([H, d, dh], b.W_K), b_K: tensor([H, dh], b.b_K),
      W_V: tensor([H, d, dh], b.W_V), b_V: tensor([H, dh], b.b_V),
      W_O: tensor([H, dh, d], b.W_O), b_O: tensor([d], b.b_O),
      ln2: lnBack(b.ln2, d),
      W_in: tensor([d, dMlp], b.W_in), b_in: tensor([dMlp], b.b_in),
      W_out: tensor([dMlp, d], b.W_out), b_out: tensor([d], b.b_out),
    })),
    lnFinal: lnBack(lnFinal, d),
    W_U: tensor([d, V], W_U),
    b_U: tensor([V], b_U),
    processing: {
      foldLn: done.foldLn || foldLn,
      centerWritingWeights: done.centerWritingWeights || centerWriting,
      centerUnembed: done.centerUnembed || centerUnembed,
      foldValueBiases: done.foldValueBiases || foldValueBiases,
    },
  };
}
