/**
 * A plain float64 forward pass over a RAW Hugging Face checkpoint (tensor names and
 * layouts as transformers stores them), written from the HF modelling code's semantics:
 * GPT-2 (Conv1D [in, out], fused c_attn "(qkv head d_head)", gelu_new, tied lm_head) and
 * GPT-NeoX (nn.Linear [out, in], fused query_key_value "(head qkv d_head)", rotate_half
 * partial rotary, parallel or sequential residual, exact gelu, untied embed_out).
 * It never touches the canonical mapping (src/engine/arch), so it checks it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpointTensors } from '../../src/engine/checkpoint/open';
import type { TensorSource } from '../../src/engine/checkpoint/safetensors';
import { erf64 } from './reference64';

type Cfg = Record<string, number | string | boolean | null | undefined | string[]>;

/** y[T, out] = x[T, in] @ W + b, W stored [in, out] (Conv1D) or [out, in] (Linear). */
function affine(x: Float64Array, T: number, nIn: number, W: Float32Array, nOut: number, b: Float32Array | null, layout: 'conv1d' | 'linear'): Float64Array {
  const y = new Float64Array(T * nOut);
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < nOut; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < nIn; i++) s += x[t * nIn + i] * (layout === 'conv1d' ? W[i * nOut + o] : W[o * nIn + i]);
      y[t * nOut + o] = s;
    }
  }
  return y;
}

function layerNorm(x: Float64Array, T: number, d: number, w: Float32Array, b: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(T * d);
  for (let t = 0; t < T; t++) {
    const row = x.subarray(t * d, (t + 1) * d);
    const mean = row.reduce((a, v) => a + v, 0) / d;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / d;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < d; i++) y[t * d + i] = (row[i] - mean) * inv * w[i] + b[i];
  }
  return y;
}

/** Causal softmax attention; q/k/v given as functions (t, head, e) → value. Returns merged heads [T, H*dh]. */
function attention(T: number, H: number, dh: number, q: (t: number, h: number, e: number) => number, k: typeof q, v: typeof q): Float64Array {
  const out = new Float64Array(T * H * dh);
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < T; i++) {
      const s = new Float64Array(i + 1);
      let mx = -Infinity;
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let e = 0; e < dh; e++) dot += q(i, h, e) * k(j, h, e);
        s[j] = dot / Math.sqrt(dh);
        mx = Math.max(mx, s[j]);
      }
      let z = 0;
      for (let j = 0; j <= i; j++) z += (s[j] = Math.exp(s[j] - mx));
      for (let j = 0; j <= i; j++) for (let e = 0; e < dh; e++) out[i * H * dh + h * dh + e] += (s[j] / z) * v(j, h, e);
    }
  }
  return out;
}

function add(a: Float64Array, ...rest: Float64Array[]): Float64Array {
  const out = Float64Array.from(a);
  for (const r of rest) for (let i = 0; i < out.length; i++) out[i] += r[i];
  return out;
}

const geluNew = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const geluExact = (x: number) => 0.5 * x * (1 + erf64(x / Math.SQRT2));

/** logits[T, V] = h[T, d] @ E^T for E [V, d]. */
function unembed(h: Float64Array, T: number, d: number, E: Float32Array, V: number): Float64Array {
  const out = new Float64Array(T * V);
  for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += h[t * d + i] * E[v * d + i];
    out[t * V + v] = s;
  }
  return out;
}

async function gpt2(st: TensorSource, c: Cfg, tokens: number[]): Promise<Float64Array> {
  const g = async (n: string) => (await st.read(n)).data;
  const p = st.has('transformer.wte.weight') ? 'transformer.' : '';
  const d = c.n_embd as number, H = c.n_head as number, dh = d / H, L = c.n_layer as number, V = c.vocab_size as number;
  const dm = (c.n_inner as number | null) ?? 4 * d;
  const eps = (c.layer_norm_epsilon as number) ?? 1e-5;
  const T = tokens.length;
  const wte = await g(`${p}wte.weight`), wpe = await g(`${p}wpe.weight`);
  let x: Float64Array = new Float64Array(T * d);
  tokens.forEach((tok, t) => { for (let i = 0; i < d; i++) x[t * d + i] = wte[tok * d + i] + wpe[t * d + i]; });
  for (let l = 0; l < L; l++) {
    const b = `${p}h.${l}.`;
    const h1 = layerNorm(x, T, d, await g(`${b}ln_1.weight`), await g(`${b}ln_1.bias`), eps);
    const qkv = affine(h1, T, d, await g(`${b}attn.c_attn.weight`), 3 * d, await g(`${b}attn.c_attn.bias`), 'conv1d');
    const at = (part: number) => (t: number, h: number, e: number) => qkv[t * 3 * d + part * d + h * dh + e];
    const merged = attention(T, H, dh, at(0), at(1), at(2));
    x = add(x, affine(merged, T, d, await g(`${b}attn.c_proj.weight`), d, await g(`${b}attn.c_proj.bias`), 'conv1d'));
    const h2 = layerNorm(x, T, d, await g(`${b}ln_2.weight`), await g(`${b}ln_2.bias`), eps);
    const act = affine(h2, T, d, await g(`${b}mlp.c_fc.weight`), dm, await g(`${b}mlp.c_fc.bias`), 'conv1d').map(geluNew);
    x = add(x, affine(act, T, dm, await g(`${b}mlp.c_proj.weight`), d, await g(`${b}mlp.c_proj.bias`), 'conv1d'));
  }
  const hf = layerNorm(x, T, d, await g(`${p}ln_f.weight`), await g(`${p}ln_f.bias`), eps);
  return unembed(hf, T, d, st.has('lm_head.weight') ? await g('lm_head.weight') : wte, V);
}

async function neox(st: TensorSource, c: Cfg, tokens: number[]): Promise<Float64Array> {
  const g = async (n: string) => (await st.read(n)).data;
  const d = c.hidden_size as number, H = c.num_attention_heads as number, dh = d / H;
  const L = c.num_hidden_layers as number, V = c.vocab_size as number, dm = c.intermediate_size as number;
  const eps = (c.layer_norm_eps as number) ?? 1e-5;
  const rd = Math.floor(dh * ((c.rotary_pct as number) ?? 0.25));
  const base = (c.rotary_emb_base as number) ?? 10000;
  const parallel = (c.use_parallel_residual as boolean) ?? true;
  const T = tokens.length;
  const emb = await g('gpt_neox.embed_in.weight');
  let x: Float64Array = new Float64Array(T * d);
  tokens.forEach((tok, t) => { for (let i = 0; i < d; i++) x[t * d + i] = emb[tok * d + i]; });
  // inv_freq[i] = base^(-2i/rd); cos/sin of emb = cat(freqs, freqs); rotate_half(x) = cat(-x2, x1).
  const rope = (x0: (t: number, h: number, e: number) => number) => (t: number, h: number, e: number): number => {
    if (e >= rd) return x0(t, h, e);
    const half = rd / 2;
    const i = e % half;
    const ang = t * Math.pow(base, (-2 * i) / rd);
    const rot = e < half ? -x0(t, h, e + half) : x0(t, h, e - half);
    return x0(t, h, e) * Math.cos(ang) + rot * Math.sin(ang);
  };
  for (let l = 0; l < L; l++) {
    const b = `gpt_neox.layers.${l}.`;
    const attnBlock = async (inp: Float64Array) => {
      const h1 = layerNorm(inp, T, d, await g(`${b}input_layernorm.weight`), await g(`${b}input_layernorm.bias`), eps);
      const qkv = affine(h1, T, d, await g(`${b}attention.query_key_value.weight`), 3 * d, await g(`${b}attention.query_key_value.bias`), 'linear');
      // view [T, H, 3*dh]: per head, q | k | v.
      const at = (part: number) => (t: number, h: number, e: number) => qkv[t * 3 * d + h * 3 * dh + part * dh + e];
      const merged = attention(T, H, dh, rope(at(0)), rope(at(1)), at(2));
      return affine(merged, T, d, await g(`${b}attention.dense.weight`), d, await g(`${b}attention.dense.bias`), 'linear');
    };
    const mlpBlock = async (inp: Float64Array) => {
      const h2 = layerNorm(inp, T, d, await g(`${b}post_attention_layernorm.weight`), await g(`${b}post_attention_layernorm.bias`), eps);
      const act = affine(h2, T, d, await g(`${b}mlp.dense_h_to_4h.weight`), dm, await g(`${b}mlp.dense_h_to_4h.bias`), 'linear').map(geluExact);
      return affine(act, T, dm, await g(`${b}mlp.dense_4h_to_h.weight`), d, await g(`${b}mlp.dense_4h_to_h.bias`), 'linear');
    };
    if (parallel) {
      x = add(x, await attnBlock(x), await mlpBlock(x));
    } else {
      x = add(x, await attnBlock(x));
      x = add(x, await mlpBlock(x));
    }
  }
  const hf = layerNorm(x, T, d, await g('gpt_neox.final_layer_norm.weight'), await g('gpt_neox.final_layer_norm.bias'), eps);
  return unembed(hf, T, d, await g('embed_out.weight'), V);
}

/** Logits [T * V] of a raw HF checkpoint folder for one token sequence, in float64. */
export async function hfForward64(dir: string, tokens: number[]): Promise<{ logits: Float64Array; vocab: number }> {
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Cfg;
  const st = await openCheckpointTensors(dir);
  try {
    if (c.model_type === 'gpt2') return { logits: await gpt2(st, c, tokens), vocab: c.vocab_size as number };
    if (c.model_type === 'gpt_neox') return { logits: await neox(st, c, tokens), vocab: c.vocab_size as number };
    throw new Error(`hfForward64: model_type ${String(c.model_type)}`);
  } finally {
    await st.close();
  }
}
