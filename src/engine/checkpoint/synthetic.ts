/**
 * Synthetic random checkpoints in Hugging Face format (config.json, model.safetensors with
 * HF tensor names and layouts, GPT-2 tokenizer files), for the bench (a GPT-2-small-shaped
 * one) and the tests (tiny ones, via test/support/tinyCheckpoint.ts), neither of which may
 * need the network. Weights come from a seeded PRNG: std ~0.2 so activations are non-trivial,
 * LayerNorm weights near 1, biases non-zero.
 * The tokenizer files are copied from the bundled demo model, so tests do not depend on
 * anything outside the repository.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors } from './safetensors';
import type { SafetensorsDtype, WritableTensor } from './safetensors';
import { bundledModelsDir, DEFAULT_MODEL } from '../paths';
import { mulberry32 } from '../random';

export interface SyntheticCheckpointOptions {
  arch: 'gpt2' | 'gpt_neox';
  seed?: number;
  nLayers?: number;
  dModel?: number;
  nHeads?: number;
  dMlp?: number;
  nCtx?: number;
  /** Default 50257 for GPT-2, 50304 for NeoX (Pythia pads its vocabulary). */
  vocab?: number;
  dtype?: SafetensorsDtype;
  /** Std of the random matrices (default 0.2). */
  std?: number;
  /** NeoX: fraction of each head rotated (default 0.5, so rotate_half pairs differ from adjacent pairs). */
  rotaryPct?: number;
  /** NeoX: parallel attention + MLP (default true, as Pythia). */
  parallel?: boolean;
  /** GPT-2: name tensors "transformer.h.0…" and add lm_head.weight, as GPT2LMHeadModel.save_pretrained does. */
  lmHeadPrefix?: boolean;
  /** Split into this many shards with model.safetensors.index.json (default 1: one model.safetensors). */
  shards?: number;
  /** Shape preset: 'gpt2-small' = 12 layers, d 768, 12 heads, F16, std 0.02 (for the bench). */
  preset?: 'gpt2-small';
}

const rng = mulberry32;

/** Each tensor gets its own stream (seed + index), so tensors are generated lazily in any order. */
function normal(seed: number, n: number, mean: number, std: number): Float32Array {
  const u = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const th = 2 * Math.PI * u();
    out[i] = mean + std * r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(th);
  }
  return out;
}

export function makeSyntheticCheckpoint(dir: string, options: SyntheticCheckpointOptions): string {
  const big = options.preset === 'gpt2-small';
  const o = {
    seed: 1,
    nLayers: big ? 12 : 2,
    dModel: big ? 768 : 32,
    nHeads: big ? 12 : 4,
    nCtx: big ? 1024 : 32,
    dtype: (big ? 'F16' : 'F32') as SafetensorsDtype,
    std: big ? 0.02 : 0.2,
    rotaryPct: 0.5,
    parallel: true,
    lmHeadPrefix: false,
    shards: 1,
    ...options,
  };
  const d = o.dModel;
  const dMlp = o.dMlp ?? 4 * d;
  const V = o.vocab ?? (o.arch === 'gpt2' ? 50257 : 50304);
  mkdirSync(dir, { recursive: true });

  const tensors: Record<string, WritableTensor> = {};
  let stream = o.seed * 1000003;
  const add = (name: string, dims: number[], kind: 'matrix' | 'lnWeight' | 'bias') => {
    const seed = stream++;
    const n = dims.reduce((a, b) => a * b, 1);
    const [mean, std] = kind === 'matrix' ? [0, o.std] : kind === 'lnWeight' ? [1, 0.1] : [0, 0.1];
    tensors[name] = { dims, dtype: o.dtype, data: () => normal(seed, n, mean, std) };
  };

  if (o.arch === 'gpt2') {
    const p = o.lmHeadPrefix ? 'transformer.' : '';
    add(`${p}wte.weight`, [V, d], 'matrix');
    add(`${p}wpe.weight`, [o.nCtx, d], 'matrix');
    for (let l = 0; l < o.nLayers; l++) {
      const b = `${p}h.${l}.`;
      add(`${b}ln_1.weight`, [d], 'lnWeight');
      add(`${b}ln_1.bias`, [d], 'bias');
      add(`${b}attn.c_attn.weight`, [d, 3 * d], 'matrix');
      add(`${b}attn.c_attn.bias`, [3 * d], 'bias');
      add(`${b}attn.c_proj.weight`, [d, d], 'matrix');
      add(`${b}attn.c_proj.bias`, [d], 'bias');
      add(`${b}ln_2.weight`, [d], 'lnWeight');
      add(`${b}ln_2.bias`, [d], 'bias');
      add(`${b}mlp.c_fc.weight`, [d, dMlp], 'matrix');
      add(`${b}mlp.c_fc.bias`, [dMlp], 'bias');
      add(`${b}mlp.c_proj.weight`, [dMlp, d], 'matrix');
      add(`${b}mlp.c_proj.bias`, [d], 'bias');
    }
    add(`${p}ln_f.weight`, [d], 'lnWeight');
    add(`${p}ln_f.bias`, [d], 'bias');
    // Tied, as save_pretrained writes it: the same values as wte.
    if (o.lmHeadPrefix) tensors['lm_head.weight'] = { ...tensors[`${p}wte.weight`] };
  } else {
    add('gpt_neox.embed_in.weight', [V, d], 'matrix');
    for (let l = 0; l < o.nLayers; l++) {
      const b = `gpt_neox.layers.${l}.`;
      add(`${b}input_layernorm.weight`, [d], 'lnWeight');
      add(`${b}input_layernorm.bias`, [d], 'bias');
      add(`${b}post_attention_layernorm.weight`, [d], 'lnWeight');
      add(`${b}post_attention_layernorm.bias`, [d], 'bias');
      add(`${b}attention.query_key_value.weight`, [3 * d, d], 'matrix');
      add(`${b}attention.query_key_value.bias`, [3 * d], 'bias');
      add(`${b}attention.dense.weight`, [d, d], 'matrix');
      add(`${b}attention.dense.bias`, [d], 'bias');
      add(`${b}mlp.dense_h_to_4h.weight`, [dMlp, d], 'matrix');
      add(`${b}mlp.dense_h_to_4h.bias`, [dMlp], 'bias');
      add(`${b}mlp.dense_4h_to_h.weight`, [d, dMlp], 'matrix');
      add(`${b}mlp.dense_4h_to_h.bias`, [d], 'bias');
    }
    add('gpt_neox.final_layer_norm.weight', [d], 'lnWeight');
    add('gpt_neox.final_layer_norm.bias', [d], 'bias');
    add('embed_out.weight', [V, d], 'matrix');
  }
  writeTensors(dir, tensors, o.shards);

  const config =
    o.arch === 'gpt2'
      ? {
          architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_layer: o.nLayers, n_embd: d, n_head: o.nHeads,
          n_positions: o.nCtx, n_ctx: o.nCtx, n_inner: dMlp === 4 * d ? null : dMlp, activation_function: 'gelu_new',
          layer_norm_epsilon: 1e-5, vocab_size: V, bos_token_id: 50256, eos_token_id: 50256, tie_word_embeddings: true,
          torch_dtype: o.dtype === 'F32' ? 'float32' : o.dtype === 'F16' ? 'float16' : 'bfloat16',
        }
      : {
          architectures: ['GPTNeoXForCausalLM'], model_type: 'gpt_neox', num_hidden_layers: o.nLayers, hidden_size: d,
          num_attention_heads: o.nHeads, intermediate_size: dMlp, rotary_pct: o.rotaryPct, rotary_emb_base: 10000,
          max_position_embeddings: o.nCtx, layer_norm_eps: 1e-5, hidden_act: 'gelu', use_parallel_residual: o.parallel,
          vocab_size: V, bos_token_id: 0, eos_token_id: 0, tie_word_embeddings: false,
          torch_dtype: o.dtype === 'F32' ? 'float32' : o.dtype === 'F16' ? 'float16' : 'bfloat16',
        };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const demo = join(bundledModelsDir(), DEFAULT_MODEL);
  for (const f of ['vocab.json', 'merges.txt', 'special_tokens_map.json', 'tokenizer_config.json']) {
    if (existsSync(join(demo, f))) copyFileSync(join(demo, f), join(dir, f));
  }
  return dir;
}

function writeTensors(dir: string, tensors: Record<string, WritableTensor>, shards: number): void {
  if (shards <= 1) {
    writeSafetensors(join(dir, 'model.safetensors'), tensors);
    return;
  }
  const names = Object.keys(tensors);
  const per = Math.ceil(names.length / shards);
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part: Record<string, WritableTensor> = {};
    for (const n of names.slice(s * per, (s + 1) * per)) {
      part[n] = tensors[n];
      weightMap[n] = file;
    }
    writeSafetensors(join(dir, file), part);
  }
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2));
}
