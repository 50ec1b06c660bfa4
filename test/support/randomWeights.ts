/**
 * Random tiny CanonicalWeights (no files), for unit tests of the engine and analyses.
 * Seeded, so a failing test reproduces.
 */
import { tensor, type Tensor } from '../../src/engine/tensor';
import { NO_PROCESSING, type CanonicalWeights, type LayerNormWeights, type ModelConfig } from '../../src/engine/weights';
import { mulberry32 } from '../../src/engine/random';

/** Seeded uniform [0, 1) stream, for test weights. */
export const rng = mulberry32;

export const TINY_GPT2: ModelConfig = {
  architecture: 'gpt2', nLayers: 2, dModel: 16, nHeads: 4, dHead: 4, dMlp: 64, dVocab: 50, nCtx: 32,
  act: 'gelu_new', eps: 1e-5, positional: 'standard', rotaryDim: 0, rotaryBase: 10000, parallelAttnMlp: false, bosTokenId: 49,
};

export const TINY_NEOX: ModelConfig = {
  architecture: 'gpt_neox', nLayers: 2, dModel: 16, nHeads: 2, dHead: 8, dMlp: 64, dVocab: 60, nCtx: 32,
  act: 'gelu', eps: 1e-5, positional: 'rotary', rotaryDim: 4, rotaryBase: 10000, parallelAttnMlp: true, bosTokenId: 0,
};

/** Weights with N(0, scale²)-ish entries; LayerNorm affine kept (as unprocessed HF weights). */
export function randomWeights(cfg: ModelConfig, seed = 1, scale = 0.5): CanonicalWeights {
  const r = rng(seed);
  const rand = (dims: number[], s = scale): Tensor => {
    const t = tensor(dims);
    for (let i = 0; i < t.data.length; i++) t.data[i] = (r() + r() + r() - 1.5) * 2 * s;
    return t;
  };
  const ln = (): LayerNormWeights => {
    const w = rand([cfg.dModel], 0.2);
    for (let i = 0; i < w.data.length; i++) w.data[i] += 1;
    return { w, b: rand([cfg.dModel], 0.2) };
  };
  const { dModel: d, nHeads: H, dHead: dh, dMlp: dm, dVocab: V } = cfg;
  return {
    cfg,
    W_E: rand([V, d]),
    W_pos: cfg.positional === 'standard' ? rand([cfg.nCtx, d]) : null,
    blocks: Array.from({ length: cfg.nLayers }, () => ({
      ln1: ln(),
      W_Q: rand([H, d, dh]), b_Q: rand([H, dh], 0.2),
      W_K: rand([H, d, dh]), b_K: rand([H, dh], 0.2),
      W_V: rand([H, d, dh]), b_V: rand([H, dh], 0.2),
      W_O: rand([H, dh, d]), b_O: rand([d], 0.2),
      ln2: ln(),
      W_in: rand([d, dm]), b_in: rand([dm], 0.2),
      W_out: rand([dm, d], 0.2), b_out: rand([d], 0.2),
    })),
    lnFinal: ln(),
    W_U: rand([d, V]),
    b_U: rand([V], 0.2),
    processing: { ...NO_PROCESSING },
  };
}

/** The same weights with every LayerNorm's affine part removed (LNPre), for fold-style tests. */
export function withoutLnAffine(w: CanonicalWeights): CanonicalWeights {
  return { ...w, blocks: w.blocks.map((b) => ({ ...b, ln1: null, ln2: null })), lnFinal: null };
}
