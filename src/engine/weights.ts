import type { Tensor } from './tensor';

/** Architecture-independent config, in TransformerLens's vocabulary (HookedTransformerConfig). */
export interface ModelConfig {
  /** Hugging Face `model_type`: which loader mapped the checkpoint. */
  architecture: 'gpt2' | 'gpt_neox';
  nLayers: number;
  dModel: number;
  nHeads: number;
  dHead: number;
  dMlp: number;
  dVocab: number;
  nCtx: number;
  /** gelu_new = tanh approximation (GPT-2); gelu = exact erf form (Pythia); relu. */
  act: 'gelu_new' | 'gelu' | 'relu';
  eps: number;
  /** 'standard' = learned W_pos; 'rotary' = RoPE applied to q and k after hook_q/hook_k. */
  positional: 'standard' | 'rotary';
  /** Number of leading dims of each head rotated (Pythia: rotary_pct * d_head). */
  rotaryDim: number;
  rotaryBase: number;
  /** GPT-NeoX: attention and MLP both read resid_pre; no resid_mid. */
  parallelAttnMlp: boolean;
  /** Id used as BOS (GPT-2: 50256, Pythia: 0). */
  bosTokenId: number;
}

/** A LayerNorm's affine part; null once `fold_ln` has folded it into the readers (LNPre remains). */
export type LayerNormWeights = { w: Tensor /* [d] */; b: Tensor /* [d] */ } | null;

export interface BlockWeights {
  ln1: LayerNormWeights;
  W_Q: Tensor; // [H, d, dh]
  b_Q: Tensor; // [H, dh]
  W_K: Tensor; // [H, d, dh]
  b_K: Tensor; // [H, dh]
  W_V: Tensor; // [H, d, dh]
  b_V: Tensor; // [H, dh]
  W_O: Tensor; // [H, dh, d]
  b_O: Tensor; // [d]
  ln2: LayerNormWeights;
  W_in: Tensor; // [d, d_mlp]
  b_in: Tensor; // [d_mlp]
  W_out: Tensor; // [d_mlp, d]
  b_out: Tensor; // [d]
}

export interface ProcessingOptions {
  foldLn: boolean;
  centerWritingWeights: boolean;
  centerUnembed: boolean;
  foldValueBiases: boolean;
}

/** TransformerLens `from_pretrained` defaults. */
export const DEFAULT_PROCESSING: ProcessingOptions = {
  foldLn: true,
  centerWritingWeights: true,
  centerUnembed: true,
  foldValueBiases: true,
};

export const NO_PROCESSING: ProcessingOptions = {
  foldLn: false,
  centerWritingWeights: false,
  centerUnembed: false,
  foldValueBiases: false,
};

/** TransformerLens's canonical weights (HookedTransformer state dict), float32. */
export interface CanonicalWeights {
  cfg: ModelConfig;
  W_E: Tensor; // [V, d]
  W_pos: Tensor | null; // [n_ctx, d]; null for rotary models
  blocks: BlockWeights[];
  lnFinal: LayerNormWeights;
  W_U: Tensor; // [d, V]
  b_U: Tensor; // [V]
  /** Which processing has been applied to these weights. */
  processing: ProcessingOptions;
}
