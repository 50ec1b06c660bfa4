/**
 * Result shapes of the analyses: what the CLI prints with --json (CONTRACTS §1), what a
 * saved run holds (§3) and what the webview panels draw. Imports nothing.
 * Arrays are flat row-major with their `dims`, as in the CLI contract.
 */

export type PatchKind =
  | 'resid_pre'
  | 'resid_mid'
  | 'attn_out'
  | 'mlp_out'
  | 'block_every'
  | 'attn_head_out_all_pos'
  | 'attn_head_q_all_pos'
  | 'attn_head_k_all_pos'
  | 'attn_head_v_all_pos'
  | 'attn_head_pattern_all_pos'
  | 'attn_head_all_pos_every'
  | 'attn_head_out_by_pos'
  | 'attn_head_q_by_pos'
  | 'attn_head_k_by_pos'
  | 'attn_head_v_by_pos'
  | 'attn_head_pattern_by_pos';

export interface TokenInfo { token: string; id: number; logit: number; prob: number }

export interface TestPromptResult {
  strTokens: string[];
  answer: { token: string; id?: number; rank: number; logit: number; prob: number };
  top: TokenInfo[];
}

export interface PatchResult {
  kind: PatchKind;
  /** e.g. [L, T] for resid_pre, [L, H] for head kinds, [3, L, T], [5, L, H], [L, T, H]. */
  dims: number[];
  /** Axis labels: layer, pos (token strings as the seeds show them, e.g. "·Mary 4"), head, facet. */
  labels: { [axis: string]: string[] };
  /** Axis names in order, e.g. ["layer", "pos"]. */
  axes: string[];
  values: number[];
  /** Mean logit difference of the clean and corrupted runs. */
  clean: number;
  corrupted: number;
  noising: boolean;
  /** Token strings of the first prompt's clean run (for linking to attention patterns). */
  strTokens: string[];
  seconds: number;
  /**
   * 'activation' (absent = activation): every site patched and run. 'attribution':
   * attribution patching, the first-order estimate Σ (source − base) · ∂metric/∂activation
   * from one backward pass through the base run, normalised the same way.
   */
  method?: 'activation' | 'attribution';
}

export interface PathPatchResult {
  dims: number[]; // [L, H]
  /** Senders are the heads of layers 0..senderLayers-1 (before the earliest receiver); later rows are 0. */
  senderLayers?: number;
  labels: { [axis: string]: string[] };
  axes: string[];
  values: number[];
  receivers: string[];
  receiverInput: 'q' | 'k' | 'v' | 'resid';
  clean: number;
  corrupted: number;
  seconds: number;
}

export interface DlaResult {
  /** Per component: embed, pos_embed, then "L attn" / "L mlp" (decompose_resid order). */
  layers: { labels: string[]; values: number[] };
  heads: { dims: number[]; values: number[] };
  /** Sum of the pieces plus the b_U difference … */
  total: number;
  /** … and the logit difference the model actually gives; they must agree. */
  actual: number;
  biasTerm: number;
  strTokens: string[];
}

/**
 * Attention score attribution: head `layer.head`'s score from the query to the key position,
 * split over the pieces of one side's residual stream (the other side fixed).
 */
export interface ScoreAttributionResult {
  layer: number;
  head: number;
  side: 'key' | 'query';
  /** The positions in the first prompt (a set's prompts may differ). */
  queryPos: number;
  keyPos: number;
  /** [layer, H + 1]: head h of each earlier layer (z @ W_O, without b_O) in column h, its MLP in column H. */
  components: { dims: number[]; values: number[] };
  embed: number;
  /** null for rotary models (no hook_pos_embed). */
  posEmbed: number | null;
  /** The earlier layers' b_O (attn_out − Σ heads). */
  attnBias: number;
  /** The fixed side's constant: b_K·q on the key side, b_Q·k on the query side (with ln1's bias when not folded). */
  otherBias: number;
  /** Σ of every piece above … */
  total: number;
  /** … and the score the model computes (hook_attn_scores); they must agree. */
  actual: number;
  /** The attention probability query → key (hook_pattern). */
  pattern: number;
  prompts: number;
  strTokens: string[];
}

export interface LogitLensLayer {
  label: string;
  top: { token: string; id: number; prob: number }[];
  tracked: { [token: string]: { rank: number; prob: number } };
}

export interface LogitLensResult {
  /** 'own-scale': each layer's residual normalised by its own scale (the last equals the real logits);
   *  'final-scale': TransformerLens accumulated_resid(apply_ln=True) with the final layer's cached scale. */
  mode: 'own-scale' | 'final-scale';
  pos: number;
  strTokens: string[];
  layers: LogitLensLayer[];
}

export interface AblateResult {
  heads: string[];
  mode: 'zero' | 'mean' | 'resample';
  lossClean: number;
  lossAblated: number;
  /** Per predicted token (position i predicts token i+1): ablated − clean loss. */
  perToken: { pos: number; token: string; next: string; lossClean: number; lossAblated: number; delta: number }[];
  /** The tokens where the head matters most (largest loss increase), with context. */
  topTokens: { pos: number; token: string; next: string; delta: number; context: string }[];
}

export interface HeadsResult {
  dims: number[]; // [L, H]
  scores: { [detector: string]: number[] };
}

export interface AttentionResult {
  strTokens: string[];
  /** [L, H, T, T] patterns (query, key) for the chosen layers/heads. */
  layers: number[];
  heads: number[];
  dims: number[];
  values: number[];
}
