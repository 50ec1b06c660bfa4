/**
 * The independent reference every engine test compares against: a plain float64,
 * loop-based forward pass with TransformerLens's semantics, batch 1, computing every
 * hook of src/engine/hooks.ts with TransformerLens's shapes (batch dim included, = 1).
 *
 * Deliberately naive (no ONNX, no shared code with the engine's graphs) so that a bug
 * in the graphs cannot hide in both places.
 */
import type { HookName } from '../../src/engine/hooks';
import type { Tensor } from '../../src/engine/tensor';
import type { CanonicalWeights, LayerNormWeights, ModelConfig } from '../../src/engine/weights';

export interface Act64 {
  dims: number[];
  data: Float64Array;
}

/** Replaces (in place) the activation of a hook; `dims` are TransformerLens's, batch 1. */
export type Patch64 = (act: Float64Array, dims: number[]) => void;

export interface Forward64Result {
  /** [T, V] */
  logits: Float64Array;
  cache: Map<HookName, Act64>;
}

/** erf to ~1e-15: the all-positive series erf(x) = 2/√π e^{-x²} Σ (2x²)^n x / (2n+1)!!. */
export function erf64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x); // 1 - erf(6) < 3e-17
  const x2 = 2 * ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 500; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum;
  return x < 0 ? -r : r;
}

function activation(cfg: ModelConfig, x: number): number {
  switch (cfg.act) {
    case 'gelu_new':
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    case 'gelu':
      return 0.5 * x * (1 + erf64(x / Math.SQRT2));
    case 'relu':
      return x > 0 ? x : 0;
  }
}

/** out[T, n] = x[T, k] @ W[k, n] (+ b[n]); W read from offset `wOff` of a float32 array. */
function matmul(x: Float64Array, T: number, k: number, W: Float32Array, wOff: number, n: number, b?: Float32Array, bOff = 0): Float64Array {
  const out = new Float64Array(T * n);
  for (let t = 0; t < T; t++) {
    const o = t * n;
    if (b) for (let j = 0; j < n; j++) out[o + j] = b[bOff + j];
    for (let i = 0; i < k; i++) {
      const xv = x[t * k + i];
      if (xv === 0) continue;
      const wr = wOff + i * n;
      for (let j = 0; j < n; j++) out[o + j] += xv * W[wr + j];
    }
  }
  return out;
}

/** TransformerLens LayerNorm / LNPre over [T, d]: returns the normalised x and hook_scale [T]. */
function layerNorm(x: Float64Array, T: number, d: number, eps: number, ln: LayerNormWeights): { y: Float64Array; scale: Float64Array } {
  const y = new Float64Array(T * d);
  const scale = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[t * d + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[t * d + i] - mean) ** 2;
    const s = Math.sqrt(v / d + eps);
    scale[t] = s;
    for (let i = 0; i < d; i++) {
      let z = (x[t * d + i] - mean) / s;
      if (ln) z = z * ln.w.data[i] + ln.b.data[i];
      y[t * d + i] = z;
    }
  }
  return { y, scale };
}

/** GPT-NeoX rotate_half on the first rotaryDim dims of each head, positions 0..T-1, in place. */
function applyRotary(x: Float64Array, T: number, H: number, dh: number, cfg: ModelConfig): Float64Array {
  const out = Float64Array.from(x);
  const rd = cfg.rotaryDim;
  const half = rd / 2;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < H; h++) {
      const o = (t * H + h) * dh;
      for (let i = 0; i < half; i++) {
        const angle = t / Math.pow(cfg.rotaryBase, i / half);
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        const x1 = x[o + i];
        const x2 = x[o + half + i];
        out[o + i] = x1 * c - x2 * s;
        out[o + half + i] = x2 * c + x1 * s;
      }
    }
  }
  return out;
}

function addInto(a: Float64Array, ...rest: Float64Array[]): Float64Array {
  const out = Float64Array.from(a);
  for (const r of rest) for (let i = 0; i < out.length; i++) out[i] += r[i];
  return out;
}

export function forward64(w: CanonicalWeights, tokens: number[], opts: { patches?: Map<string, Patch64> } = {}): Forward64Result {
  const cfg = w.cfg;
  const T = tokens.length;
  const d = cfg.dModel;
  const H = cfg.nHeads;
  const dh = cfg.dHead;
  const dm = cfg.dMlp;
  const V = cfg.dVocab;
  const cache = new Map<HookName, Act64>();
  // Every hook goes through here: patch (if asked), then cache what downstream reads.
  const hook = (name: HookName, data: Float64Array, dims: number[]): Float64Array => {
    const p = opts.patches?.get(name);
    if (p) p(data, dims);
    cache.set(name, { dims, data: Float64Array.from(data) });
    return data;
  };

  const embed = new Float64Array(T * d);
  for (let t = 0; t < T; t++) {
    if (tokens[t] < 0 || tokens[t] >= V) throw new Error(`forward64: token ${tokens[t]} out of range`);
    for (let i = 0; i < d; i++) embed[t * d + i] = w.W_E.data[tokens[t] * d + i];
  }
  let resid = hook('hook_embed', embed, [1, T, d]);
  if (cfg.positional === 'standard') {
    if (!w.W_pos) throw new Error('forward64: standard positional embedding without W_pos');
    const pos = Float64Array.from(w.W_pos.data.subarray(0, T * d));
    resid = addInto(resid, hook('hook_pos_embed', pos, [1, T, d]));
  }

  for (let l = 0; l < cfg.nLayers; l++) {
    const b = w.blocks[l];
    const n = (s: string) => `blocks.${l}.${s}` as HookName;
    const residPre = hook(n('hook_resid_pre'), Float64Array.from(resid), [1, T, d]);

    const ln1 = layerNorm(residPre, T, d, cfg.eps, b.ln1);
    hook(n('ln1.hook_scale'), ln1.scale, [1, T, 1]);
    const x1 = ln1.y;

    // q, k, v: [T, H, dh]
    const proj = (W: Tensor, bias: Tensor): Float64Array => {
      const out = new Float64Array(T * H * dh);
      for (let h = 0; h < H; h++) {
        const ph = matmul(x1, T, d, W.data, h * d * dh, dh, bias.data, h * dh);
        for (let t = 0; t < T; t++) for (let j = 0; j < dh; j++) out[(t * H + h) * dh + j] = ph[t * dh + j];
      }
      return out;
    };
    let q = hook(n('attn.hook_q'), proj(b.W_Q, b.b_Q), [1, T, H, dh]);
    let k = hook(n('attn.hook_k'), proj(b.W_K, b.b_K), [1, T, H, dh]);
    const v = hook(n('attn.hook_v'), proj(b.W_V, b.b_V), [1, T, H, dh]);
    if (cfg.positional === 'rotary') {
      q = applyRotary(q, T, H, dh, cfg);
      k = applyRotary(k, T, H, dh, cfg);
    }

    // scores [H, Tq, Tk], causal mask -inf as TransformerLens fills.
    const scores = new Float64Array(H * T * T);
    const sqrtDh = Math.sqrt(dh);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        for (let j = 0; j < T; j++) {
          let s = -Infinity;
          if (j <= i) {
            s = 0;
            for (let e = 0; e < dh; e++) s += q[(i * H + h) * dh + e] * k[(j * H + h) * dh + e];
            s /= sqrtDh;
          }
          scores[(h * T + i) * T + j] = s;
        }
      }
    }
    hook(n('attn.hook_attn_scores'), scores, [1, H, T, T]);
    const pattern = new Float64Array(H * T * T);
    for (let r = 0; r < H * T; r++) {
      let m = -Infinity;
      for (let j = 0; j < T; j++) m = Math.max(m, scores[r * T + j]);
      let sum = 0;
      for (let j = 0; j < T; j++) {
        const e = scores[r * T + j] === -Infinity ? 0 : Math.exp(scores[r * T + j] - m);
        pattern[r * T + j] = e;
        sum += e;
      }
      for (let j = 0; j < T; j++) pattern[r * T + j] /= sum;
    }
    hook(n('attn.hook_pattern'), pattern, [1, H, T, T]);

    const z = new Float64Array(T * H * dh);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        for (let j = 0; j < T; j++) {
          const p = pattern[(h * T + i) * T + j];
          if (p === 0) continue;
          for (let e = 0; e < dh; e++) z[(i * H + h) * dh + e] += p * v[(j * H + h) * dh + e];
        }
      }
    }
    hook(n('attn.hook_z'), z, [1, T, H, dh]);

    const attnOut = new Float64Array(T * d);
    for (let t = 0; t < T; t++) for (let i = 0; i < d; i++) attnOut[t * d + i] = b.b_O.data[i];
    for (let h = 0; h < H; h++) {
      const zh = new Float64Array(T * dh);
      for (let t = 0; t < T; t++) for (let e = 0; e < dh; e++) zh[t * dh + e] = z[(t * H + h) * dh + e];
      const oh = matmul(zh, T, dh, b.W_O.data, h * dh * d, d);
      for (let i = 0; i < T * d; i++) attnOut[i] += oh[i];
    }
    hook(n('hook_attn_out'), attnOut, [1, T, d]);

    let mlpIn: Float64Array;
    let residMid: Float64Array | null = null;
    if (cfg.parallelAttnMlp) {
      mlpIn = residPre;
    } else {
      residMid = hook(n('hook_resid_mid'), addInto(residPre, attnOut), [1, T, d]);
      mlpIn = residMid;
    }
    const ln2 = layerNorm(mlpIn, T, d, cfg.eps, b.ln2);
    hook(n('ln2.hook_scale'), ln2.scale, [1, T, 1]);
    const pre = hook(n('mlp.hook_pre'), matmul(ln2.y, T, d, b.W_in.data, 0, dm, b.b_in.data), [1, T, dm]);
    const post = hook(n('mlp.hook_post'), pre.map((x) => activation(cfg, x)), [1, T, dm]);
    const mlpOut = hook(n('hook_mlp_out'), matmul(post, T, dm, b.W_out.data, 0, d, b.b_out.data), [1, T, d]);
    const residPost = residMid ? addInto(residMid, mlpOut) : addInto(residPre, attnOut, mlpOut);
    resid = hook(n('hook_resid_post'), residPost, [1, T, d]);
  }

  const lnf = layerNorm(resid, T, d, cfg.eps, w.lnFinal);
  hook('ln_final.hook_scale', lnf.scale, [1, T, 1]);
  const logits = matmul(lnf.y, T, d, w.W_U.data, 0, V, w.b_U.data);
  return { logits, cache };
}

/** float64 copy of a project Tensor, for comparisons. */
export function toFloat64(t: Tensor): Float64Array {
  return Float64Array.from(t.data);
}

/**
 * Row `b` of an engine tensor [B, ...] against a batch-1 float64 activation [1, ...]:
 * |a − e| ≤ tol·max(1, |e|) everywhere, and -inf (masked attention scores) exactly where
 * the reference has it. Returns the first failure as a message, or null.
 */
export function rowMismatch(actual: Tensor, b: number, expected: Act64, tol = 1e-4): string | null {
  const same = actual.dims.length === expected.dims.length && actual.dims.slice(1).every((n, i) => n === expected.dims[i + 1]);
  if (!same) return `dims [${actual.dims}] vs reference [${expected.dims}]`;
  const n = expected.data.length;
  for (let i = 0; i < n; i++) {
    const a = actual.data[b * n + i];
    const e = expected.data[i];
    if (e === -Infinity || a === -Infinity) {
      if (a !== e) return `[${i}]: engine ${a} vs reference ${e}`;
      continue;
    }
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) return `[${i}]: engine ${a} vs reference ${e}`;
  }
  return null;
}

/** float64 logits [T, V] as a batch-1 activation, for `rowMismatch`. */
export function logitsAct(logits: Float64Array, T: number): Act64 {
  return { dims: [1, T, logits.length / T], data: logits };
}
