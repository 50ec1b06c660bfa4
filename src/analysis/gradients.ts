/**
 * The gradient of the logit difference (answer − wrong at one position) with respect to
 * every patchable hook, by a backward pass written out in float64 over the activations
 * the engine cached on the forward pass. ONNX Runtime runs inference only, and the
 * gradient is what attribution patching needs: one backward pass gives the first-order
 * effect of patching every site at once.
 *
 * The forward pass it differentiates is TransformerLens's (the engine's graphs):
 *   ln(x) = (x − mean x) / s ⊙ w + b,  s = sqrt(var x + eps)   (w, b gone once folded)
 *   q, k, v = ln1(resid_pre) W_{Q,K,V}[h] + b;  q, k rotated (GPT-NeoX)
 *   scores = q·k / √d_head (causal), pattern = softmax, z = pattern v
 *   attn_out = Σ_h z_h W_O[h] + b_O
 *   GPT-2:  resid_mid = resid_pre + attn_out; mlp reads ln2(resid_mid)
 *   NeoX:   mlp reads ln2(resid_pre); resid_post = resid_pre + attn_out + mlp_out
 *   mlp_out = act(ln2(·) W_in + b_in) W_out + b_out
 *   logit diff = ln_final(resid_post[last])[pos] · (W_U[:, answer] − W_U[:, wrong]) + Δb_U
 * LayerNorm scales are differentiated (not frozen): the gradient is the true one, as
 * autograd gives it in TransformerLens.
 */
import { blockHook, type HookName } from '../engine/hooks';
import type { Tensor } from '../engine/tensor';
import type { Model } from '../engine/types';
import type { LayerNormWeights } from '../engine/weights';
import { logitDiffDirection } from './attribution';
import { rotate } from './rotary';

/** ∂(logit diff)/∂hook for one layer, shaped as the hook without its batch dim. */
export interface LayerGrads {
  hook_resid_pre: Float64Array; // [T, d]
  hook_resid_mid: Float64Array | null; // [T, d]; null for parallel attention + MLP
  hook_attn_out: Float64Array; // [T, d]
  hook_mlp_out: Float64Array; // [T, d]
  'attn.hook_q': Float64Array; // [T, H, dh] (before rotary, as hook_q is)
  'attn.hook_k': Float64Array;
  'attn.hook_v': Float64Array;
  'attn.hook_z': Float64Array;
  'attn.hook_pattern': Float64Array; // [H, T, T]
}

/** The hooks a backward pass reads from the forward run's cache. */
export function backwardHooks(model: Model): HookName[] {
  const { nLayers, parallelAttnMlp } = model.cfg;
  const hooks: HookName[] = ['ln_final.hook_scale', blockHook(nLayers - 1, 'hook_resid_post')];
  for (let l = 0; l < nLayers; l++) {
    hooks.push(
      blockHook(l, 'hook_resid_pre'),
      blockHook(l, 'ln1.hook_scale'),
      blockHook(l, 'attn.hook_q'),
      blockHook(l, 'attn.hook_k'),
      blockHook(l, 'attn.hook_v'),
      blockHook(l, 'attn.hook_pattern'),
      blockHook(l, 'ln2.hook_scale'),
      blockHook(l, 'mlp.hook_pre'),
    );
    if (!parallelAttnMlp) hooks.push(blockHook(l, 'hook_resid_mid'));
  }
  return hooks;
}

/** Batch row `b` of a cached tensor, as float64. */
function row(cache: ReadonlyMap<HookName, Tensor>, hook: HookName, b: number): Float64Array {
  const t = cache.get(hook);
  if (!t) throw new Error(`the engine did not return ${hook}`);
  const n = t.data.length / t.dims[0];
  return Float64Array.from(t.data.subarray(b * n, (b + 1) * n));
}

/** Backward of a LayerNorm over rows: adds ∂/∂x to `gx` given ∂/∂y `gy` [T, d], the input x and its scale s. */
function lnBackward(gy: Float64Array, x: Float64Array, s: Float64Array, ln: LayerNormWeights, d: number, gx: Float64Array, rows: number): void {
  const gh = new Float64Array(d);
  const xh = new Float64Array(d);
  for (let t = 0; t < rows; t++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[t * d + i];
    mean /= d;
    let mg = 0;
    let mgx = 0;
    for (let i = 0; i < d; i++) {
      gh[i] = gy[t * d + i] * (ln ? ln.w.data[i] : 1);
      xh[i] = (x[t * d + i] - mean) / s[t];
      mg += gh[i];
      mgx += gh[i] * xh[i];
    }
    mg /= d;
    mgx /= d;
    for (let i = 0; i < d; i++) gx[t * d + i] += (gh[i] - mg - xh[i] * mgx) / s[t];
  }
}

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7), enough for a derivative. */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return sign * y;
}

/** d act / d pre. */
function actGrad(act: Model['cfg']['act'], x: number): number {
  if (act === 'relu') return x > 0 ? 1 : 0;
  if (act === 'gelu') return 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
  const c = Math.sqrt(2 / Math.PI);
  const u = c * (x + 0.044715 * x * x * x);
  const th = Math.tanh(u);
  return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * c * (1 + 3 * 0.044715 * x * x);
}

/** A · Bᵀ for A [M, K] (float64) and B [N, K] on the model's device (ONNX Runtime, float32). */
async function timesTransposed(model: Model, a: Float64Array, M: number, K: number, B: Float32Array, N: number): Promise<Float64Array> {
  const y = await model.matmulTransposed({ dims: [M, K], data: Float32Array.from(a.subarray(0, M * K)) }, { dims: [N, K], data: B });
  return Float64Array.from(y.data);
}

/**
 * W_Q, W_K, W_V [H, d, dh] of one layer side by side as B [d, 3·H·dh] (B[i, (s, h, c)] =
 * W_s[h, i, c]), so ln1's output gradient is one product [gq | gk | gv] · Bᵀ.
 */
function stackedQkv(model: Model, layer: number): Float32Array {
  const { dModel: d, nHeads: H, dHead: dh } = model.cfg;
  const w = model.weights.blocks[layer];
  const HD = H * dh;
  const B = new Float32Array(d * 3 * HD);
  [w.W_Q, w.W_K, w.W_V].forEach((W, s) => {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < d; i++) B.set(W.data.subarray((h * d + i) * dh, (h * d + i + 1) * dh), i * 3 * HD + s * HD + h * dh);
    }
  });
  return B;
}

/**
 * ∂(logit[answer] − logit[wrong] at `pos`)/∂hook for every layer, for batch row `b` of a
 * forward run whose cache holds `backwardHooks(model)`; T is the run's length. `qkv` keeps
 * each layer's `stackedQkv` between calls (one per prompt of a set).
 */
export async function logitDiffGradients(
  model: Model,
  cache: ReadonlyMap<HookName, Tensor>,
  b: number,
  T: number,
  pos: number,
  answer: number,
  wrong: number,
  qkv: Map<number, Float32Array> = new Map(),
): Promise<LayerGrads[]> {
  const { cfg, weights } = model;
  const { nLayers, dModel: d, nHeads: H, dHead: dh, dMlp } = cfg;
  const rows = pos + 1; // causal: nothing after `pos` reaches the metric
  const sq = Math.sqrt(dh);

  // ln_final at `pos` (its weight sits in the direction when unfolded).
  const { dir } = logitDiffDirection(model, answer, wrong);
  let g = new Float64Array(T * d);
  const xf = row(cache, blockHook(nLayers - 1, 'hook_resid_post'), b).subarray(pos * d, (pos + 1) * d);
  const sf = row(cache, 'ln_final.hook_scale', b).subarray(pos, pos + 1);
  const gPos = new Float64Array(d);
  lnBackward(dir, xf, sf, null, d, gPos, 1);
  g.set(gPos, pos * d);

  const out: LayerGrads[] = new Array(nLayers);
  for (let l = nLayers - 1; l >= 0; l--) {
    const w = weights.blocks[l];
    const gPost = g;
    const residPre = row(cache, blockHook(l, 'hook_resid_pre'), b);
    const residMid = cfg.parallelAttnMlp ? null : row(cache, blockHook(l, 'hook_resid_mid'), b);
    const s1 = row(cache, blockHook(l, 'ln1.hook_scale'), b);
    const s2 = row(cache, blockHook(l, 'ln2.hook_scale'), b);

    // MLP: mlp_out = act(pre) W_out + b_out, pre = ln2(input) W_in + b_in.
    const pre = row(cache, blockHook(l, 'mlp.hook_pre'), b);
    const gAct = await timesTransposed(model, gPost, rows, d, w.W_out.data, dMlp); // [rows, dMlp]
    for (let i = 0; i < rows * dMlp; i++) gAct[i] *= actGrad(cfg.act, pre[i]);
    const gY2 = await timesTransposed(model, gAct, rows, dMlp, w.W_in.data, d); // [rows, d]
    const gMlpIn = new Float64Array(T * d);
    lnBackward(gY2, residMid ?? residPre, s2, w.ln2, d, gMlpIn, rows);

    // The attention layer's output gradient: resid_mid's (GPT-2) or resid_post's (NeoX).
    let gAttnOut: Float64Array;
    if (residMid) {
      gAttnOut = new Float64Array(T * d);
      for (let i = 0; i < T * d; i++) gAttnOut[i] = gPost[i] + gMlpIn[i];
    } else {
      gAttnOut = gPost;
    }

    // Attention.
    const q = row(cache, blockHook(l, 'attn.hook_q'), b);
    const k = row(cache, blockHook(l, 'attn.hook_k'), b);
    const v = row(cache, blockHook(l, 'attn.hook_v'), b);
    const p = row(cache, blockHook(l, 'attn.hook_pattern'), b);
    // z → attn_out through W_O [H, dh, d], i.e. B [H·dh, d].
    const gZ = new Float64Array(T * H * dh);
    gZ.set(await timesTransposed(model, gAttnOut, rows, d, w.W_O.data, H * dh));
    const gQ = new Float64Array(T * H * dh);
    const gK = new Float64Array(T * H * dh);
    const gV = new Float64Array(T * H * dh);
    const gP = new Float64Array(H * T * T);
    const vec = (a: Float64Array, t: number, h: number) => a.subarray((t * H + h) * dh, (t * H + h + 1) * dh);
    for (let h = 0; h < H; h++) {
      const qr = Array.from({ length: rows }, (_, t) => rotate(Float64Array.from(vec(q, t, h)), t, cfg, 1));
      const kr = Array.from({ length: rows }, (_, t) => rotate(Float64Array.from(vec(k, t, h)), t, cfg, 1));
      const gQr = Array.from({ length: rows }, () => new Float64Array(dh));
      const gKr = Array.from({ length: rows }, () => new Float64Array(dh));
      for (let t = 0; t < rows; t++) {
        const gz = vec(gZ, t, h);
        const pRow = (h * T + t) * T;
        // ∂/∂pattern, then the softmax backward to ∂/∂scores.
        let dot = 0;
        for (let j = 0; j <= t; j++) {
          const vj = vec(v, j, h);
          let s = 0;
          for (let c = 0; c < dh; c++) s += gz[c] * vj[c];
          gP[pRow + j] = s;
          dot += p[pRow + j] * s;
          const gv = vec(gV, j, h);
          for (let c = 0; c < dh; c++) gv[c] += p[pRow + j] * gz[c];
        }
        for (let j = 0; j <= t; j++) {
          const gs = (p[pRow + j] * (gP[pRow + j] - dot)) / sq;
          if (gs === 0) continue;
          for (let c = 0; c < dh; c++) {
            gQr[t][c] += gs * kr[j][c];
            gKr[j][c] += gs * qr[t][c];
          }
        }
      }
      for (let t = 0; t < rows; t++) {
        vec(gQ, t, h).set(rotate(gQr[t], t, cfg, -1));
        vec(gK, t, h).set(rotate(gKr[t], t, cfg, -1));
      }
    }
    // Back through W_Q, W_K, W_V to ln1's output: one product with the stacked weights.
    const HD = H * dh;
    const gQkv = new Float64Array(rows * 3 * HD);
    for (let t = 0; t < rows; t++) {
      gQkv.set(gQ.subarray(t * HD, (t + 1) * HD), t * 3 * HD);
      gQkv.set(gK.subarray(t * HD, (t + 1) * HD), t * 3 * HD + HD);
      gQkv.set(gV.subarray(t * HD, (t + 1) * HD), t * 3 * HD + 2 * HD);
    }
    if (!qkv.has(l)) qkv.set(l, stackedQkv(model, l));
    const gY1 = new Float64Array(T * d);
    gY1.set(await timesTransposed(model, gQkv, rows, 3 * HD, qkv.get(l)!, d));
    const gPre = Float64Array.from(gAttnOut);
    if (!residMid) for (let i = 0; i < T * d; i++) gPre[i] += gMlpIn[i];
    lnBackward(gY1, residPre, s1, w.ln1, d, gPre, rows);

    out[l] = {
      hook_resid_pre: gPre,
      hook_resid_mid: residMid ? gAttnOut : null,
      hook_attn_out: gAttnOut,
      hook_mlp_out: gPost,
      'attn.hook_q': gQ,
      'attn.hook_k': gK,
      'attn.hook_v': gV,
      'attn.hook_z': gZ,
      'attn.hook_pattern': gP,
    };
    g = gPre;
  }
  return out;
}
