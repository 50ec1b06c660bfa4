/**
 * GPT-NeoX family (`model_type: gpt_neox`, Pythia), as TransformerLens's
 * convert_neox_weights maps it. nn.Linear weights are [out, in] and get transposed.
 * The fused query_key_value is ordered "(head qkv d_head)" along its output dim, unlike
 * GPT-2's "(qkv head d_head)". Rotary on the first rotary_pct of each head; parallel
 * attention and MLP; untied embed_out.
 */
import { NO_PROCESSING } from '../weights';
import type { BlockWeights, CanonicalWeights, ModelConfig } from '../weights';
import { ConfigFields, TensorReader } from './architecture';
import type { Architecture, RawConfig } from './architecture';
import { gatherHeads, reshape, transpose2d, zeros } from './layout';
import type { TensorSource } from '../checkpoint/safetensors';

function parseConfig(raw: RawConfig, path: string): ModelConfig {
  const f = new ConfigFields(raw, path);
  const dModel = f.int('hidden_size');
  const nHeads = f.int('num_attention_heads');
  const dHead = dModel / nHeads;
  return {
    architecture: 'gpt_neox',
    nLayers: f.int('num_hidden_layers'),
    dModel,
    nHeads,
    dHead,
    dMlp: f.int('intermediate_size', 4 * dModel),
    dVocab: f.int('vocab_size'),
    nCtx: f.int('max_position_embeddings', 2048),
    act: f.act('hidden_act', 'gelu', { gelu: 'gelu', gelu_new: 'gelu_new', relu: 'relu' }),
    eps: f.number('layer_norm_eps', 1e-5),
    positional: 'rotary',
    // HF: int(head_size * rotary_pct) (truncation).
    rotaryDim: Math.floor(dHead * f.number(['rotary_pct', 'partial_rotary_factor'], 0.25)),
    rotaryBase: f.number(['rotary_emb_base', 'rope_theta'], 10000),
    parallelAttnMlp: f.bool('use_parallel_residual', true),
    bosTokenId: f.number('bos_token_id', 0),
  };
}

async function mapWeights(src: TensorSource, cfg: ModelConfig): Promise<CanonicalWeights> {
  const r = new TensorReader(src);
  const { dModel: d, nHeads: H, dHead: dh, dMlp, dVocab: V } = cfg;
  const W_E = await r.get('gpt_neox.embed_in.weight', [V, d]);
  const blocks: BlockWeights[] = [];
  for (let l = 0; l < cfg.nLayers; l++) {
    const b = `gpt_neox.layers.${l}.`;
    const qkv = await r.get(`${b}attention.query_key_value.weight`, [3 * d, d]);
    const qkvB = await r.get(`${b}attention.query_key_value.bias`, [3 * d]);
    // Output row of (head h, part q/k/v, k) is (h*3 + part)*dh + k; the input dim is m.
    const w = (part: number) => gatherHeads(qkv.data, d, H, dh, (m, h, k) => ((h * 3 + part) * dh + k) * d + m);
    const bias = (part: number) => gatherHeads(qkvB.data, 1, H, dh, (_m, h, k) => (h * 3 + part) * dh + k);
    blocks.push({
      ln1: { w: await r.get(`${b}input_layernorm.weight`, [d]), b: await r.get(`${b}input_layernorm.bias`, [d]) },
      W_Q: w(0),
      W_K: w(1),
      W_V: w(2),
      b_Q: reshape(bias(0), [H, dh]),
      b_K: reshape(bias(1), [H, dh]),
      b_V: reshape(bias(2), [H, dh]),
      // dense is [d, H*dh] ("m (head d_head)"): transposing gives [H, dh, d].
      W_O: transpose2d(await r.get(`${b}attention.dense.weight`, [d, d]), [H, dh, d]),
      b_O: await r.get(`${b}attention.dense.bias`, [d]),
      ln2: { w: await r.get(`${b}post_attention_layernorm.weight`, [d]), b: await r.get(`${b}post_attention_layernorm.bias`, [d]) },
      W_in: transpose2d(await r.get(`${b}mlp.dense_h_to_4h.weight`, [dMlp, d])),
      b_in: await r.get(`${b}mlp.dense_h_to_4h.bias`, [dMlp]),
      W_out: transpose2d(await r.get(`${b}mlp.dense_4h_to_h.weight`, [d, dMlp])),
      b_out: await r.get(`${b}mlp.dense_4h_to_h.bias`, [d]),
    });
  }
  const lnFinal = { w: await r.get('gpt_neox.final_layer_norm.weight', [d]), b: await r.get('gpt_neox.final_layer_norm.bias', [d]) };
  // Pythia's embed_out is untied from embed_in.
  const W_U = transpose2d(await r.get('embed_out.weight', [V, d]));
  return { cfg, W_E, W_pos: null, blocks, lnFinal, W_U, b_U: zeros([V]), processing: { ...NO_PROCESSING } };
}

export const gptNeox: Architecture = { modelTypes: ['gpt_neox'], parseConfig, mapWeights };
