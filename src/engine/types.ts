import type { HookName } from './hooks';
import type { Tensor } from './tensor';
import type { CanonicalWeights, ModelConfig } from './weights';

/**
 * A patch replaces a hook's activation inside the graph, per batch row:
 *   h[b] = mask[b] ? value[source[b]] : h[b]
 * `value` is [S, ...hook dims without batch] (S source rows, e.g. the clean cache);
 * `source` is [B] (which row of `value` each batch row reads); `mask` has the hook's
 * rank with each dim either 1 or the hook's size (e.g. [B, T, 1] for one position of
 * resid_pre, [B, 1, H, 1] for whole heads of hook_z), non-zero where patched.
 */
export interface Patch {
  hook: HookName;
  value: Tensor;
  source: Int32Array;
  mask: Tensor;
}

/** What a run returns besides the cache. */
export type RunOutput =
  /** Full logits [B, P, V] at the given positions (same list for every row; default: all). */
  | { kind: 'logits'; positions?: number[] }
  /**
   * Finish early: ln_final and only the listed unembedding columns at one position per
   * row. `tokens[b]` lists the token ids wanted for row b (e.g. [answer, wrong]); the
   * result is [B, K] logits (with b_U). Skips the full [d, V] unembedding.
   */
  | { kind: 'columns'; positions: Int32Array; tokens: Int32Array[] }
  /** No logits; just the cache (and the final residual in the cache if asked). */
  | { kind: 'none' };

/**
 * Prefix reuse (causal attention): positions before `length` (P0) are taken to be exactly
 * those of an earlier base run, so the run computes only positions ≥ P0 in each block and
 * attends to the base run's keys and values for the positions before.
 * Valid when nothing the run changes (tokens, patches) lies before P0.
 * In a prefix run, every block hook and ln_final.hook_scale covers the computed positions
 * only: cached hooks are [B, T − P0, …] (attention scores/patterns [B, H, T − P0, T]: all
 * key positions), patch masks and values are given in those positions, and `startResid`
 * is [B, T − P0, d]. Output positions stay absolute (and must be ≥ P0); 'logits' without
 * positions gives the computed ones. The embedding (hook_embed, hook_pos_embed) still
 * covers every position.
 */
export interface RunPrefix {
  /** P0: the number of leading positions reused, 0 ≤ P0 < T (0 = a normal run). */
  length: number;
  /**
   * The base run's `blocks.L.attn.hook_k` and `blocks.L.attn.hook_v` [Bbase, ≥P0, H, dh]
   * for every layer the run computes (from startLayer on).
   */
  cache: ReadonlyMap<HookName, Tensor>;
  /** [B]: the row of the base run each batch row continues. */
  rows: Int32Array;
}

export interface RunRequest {
  /** [B][T] token ids, all rows the same length. */
  tokens: number[][] | Int32Array[];
  /** Start at this block from `startResid` (= blocks.{startLayer}.hook_resid_pre, [B, T, d]). */
  startLayer?: number;
  startResid?: Tensor;
  /** Reuse a base run's positions before `prefix.length` (see RunPrefix). */
  prefix?: RunPrefix;
  patches?: Patch[];
  /** Hooks to return. */
  cache?: readonly HookName[];
  output?: RunOutput;
  /** Checked between blocks; throwing stops the run. */
  signal?: AbortSignal;
}

export interface RunResult {
  /** [B, P, V] for 'logits', [B, K] for 'columns'; absent for 'none'. */
  logits?: Tensor;
  cache: Map<HookName, Tensor>;
}

/** The loaded, runnable model. One implementation: `HookedModel` (ONNX Runtime). */
export interface Model {
  readonly cfg: ModelConfig;
  readonly weights: CanonicalWeights;
  readonly tokenizer: TokenizerLike;
  /** Model id as the user named it, and where it was loaded from. */
  readonly id: string;
  readonly source: string;
  /** The Hub revision (commit or branch) of a downloaded or cached checkpoint, if known. */
  readonly revision?: string;
  /** The execution provider actually running ('cpu', 'cuda', 'webgpu', …). */
  readonly device: string;
  /** The ONNX Runtime version running the graphs. */
  readonly runtime?: string;
  run(req: RunRequest): Promise<RunResult>;
  /**
   * A · Bᵀ for A [M, K] and B [N, K] ([M, N]) on the model's device: the large matrix
   * products an analysis does outside the forward graphs (a backward pass through W_in,
   * W_out, W_O, W_Q/K/V), at ONNX Runtime's speed rather than JavaScript's.
   */
  matmulTransposed(a: Tensor, b: Tensor): Promise<Tensor>;
  dispose(): Promise<void>;
}

export interface TokenizerLike {
  /** Token ids, BOS first when prependBos (default true, as TransformerLens). */
  encode(text: string, opts?: { prependBos?: boolean }): number[];
  decode(ids: readonly number[]): string;
  /** The string of each token (raw text, e.g. " Mary"), as `model.to_str_tokens` gives. */
  strTokens(ids: readonly number[]): string[];
  /** The id of a single-token string; throws a one-line error if it is several tokens. */
  singleToken(text: string): number;
  readonly bosTokenId: number;
  readonly vocabSize: number;
}
