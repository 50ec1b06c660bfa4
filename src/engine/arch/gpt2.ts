/**
 * GPT-2 family (`model_type: gpt2`), as TransformerLens's convert_gpt2_weights maps it.
 * HF GPT-2 uses Conv1D, whose weights are stored [in, out] (x @ W), so most matrices are
 * already in TransformerLens's orientation; the fused c_attn splits into Q, K, V.
 */
import { NO_PROCESSING } from '../weights';
import type { BlockWeights, CanonicalWeights, ModelConfig } from '../weights';
import { ConfigFields, TensorReader } from './architecture';
import type { Architecture, RawConfig } from './architecture';
import { gatherHeads, reshape, transpose2d, zeros } from './layout';
import type { TensorSource } from '../checkpoint/safetensors';

function parseConfig(raw: RawConfig, path: string): ModelConfig {
  const f = new ConfigFields(raw, path);
  const dModel = f.int('n_embd');
  const nHeads = f.int('n_head');
  return {
    architecture: 'gpt2',
    nLayers: f.int('n_layer'),
    dModel,
    nHeads,
    dHead: dModel / nHeads,
    dMlp: f.int('n_inner', 4 * dModel),
    dVocab: f.int('vocab_size'),
    nCtx: f.int(['n_positions', 'n_ctx']),
    act: f.act('activation_function', 'gelu_new', { gelu_new: 'gelu_new', gelu: 'gelu', relu: 'relu' }),
    eps: f.number('layer_norm_epsilon', 1e-5),
    positional: 'standard',
    rotaryDim: 0,
    rotaryBase: 10000,
    parallelAttnMlp: false,
    bosTokenId: f.number('bos_token_id', 50256),
  };
}

async function mapWeights(src: TensorSource, cfg: ModelConfig): Promise<CanonicalWeights> {
  const r = new TensorReader(src);
  // Checkpoints saved from GPT2LMHeadModel carry "transformer."; GPT2Model ones do not.
  const p = r.has('transformer.wte.weight') ? 'transformer.' : '';
  const { dModel: d, nHeads: H, dHead: dh, dMlp, dVocab: V, nCtx } = cfg;
  const W_E = await r.get(`${p}wte.weight`, [V, d]);
  const W_pos = await r.get(`${p}wpe.weight`, [nCtx, d]);
  const blocks: BlockWeights[] = [];
  for (let l = 0; l < cfg.nLayers; l++) {
    const b = `${p}h.${l}.`;
    const cAttn = await r.get(`${b}attn.c_attn.weight`, [d, 3 * d]);
    const cAttnB = await r.get(`${b}attn.c_attn.bias`, [3 * d]);
    // c_attn columns are [Q | K | V], each split "(head d_head)".
    const w = (part: number) => gatherHeads(cAttn.data, d, H, dh, (m, h, k) => m * 3 * d + part * d + h * dh + k);
    const bias = (part: number) => reshape({ dims: [d], data: cAttnB.data.slice(part * d, (part + 1) * d) }, [H, dh]);
    blocks.push({
      ln1: { w: await r.get(`${b}ln_1.weight`, [d]), b: await r.get(`${b}ln_1.bias`, [d]) },
      W_Q: w(0),
      W_K: w(1),
      W_V: w(2),
      b_Q: bias(0),
      b_K: bias(1),
      b_V: bias(2),
      // c_proj rows are "(head d_head)": a reshape gives [H, dh, d].
      W_O: reshape(await r.get(`${b}attn.c_proj.weight`, [d, d]), [H, dh, d]),
      b_O: await r.get(`${b}attn.c_proj.bias`, [d]),
      ln2: { w: await r.get(`${b}ln_2.weight`, [d]), b: await r.get(`${b}ln_2.bias`, [d]) },
      W_in: await r.get(`${b}mlp.c_fc.weight`, [d, dMlp]),
      b_in: await r.get(`${b}mlp.c_fc.bias`, [dMlp]),
      W_out: await r.get(`${b}mlp.c_proj.weight`, [dMlp, d]),
      b_out: await r.get(`${b}mlp.c_proj.bias`, [d]),
    });
  }
  const lnFinal = { w: await r.get(`${p}ln_f.weight`, [d]), b: await r.get(`${p}ln_f.bias`, [d]) };
  // GPT-2 ties lm_head to wte; most checkpoints omit lm_head.weight.
  const head = r.has('lm_head.weight') ? await r.get('lm_head.weight', [V, d]) : W_E;
  return { cfg, W_E, W_pos, blocks, lnFinal, W_U: transpose2d(head), b_U: zeros([V]), processing: { ...NO_PROCESSING } };
}

export const gpt2: Architecture = { modelTypes: ['gpt2'], parseConfig, mapWeights };
