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

export interface RunRequest {
  /** [B][T] token ids, all rows the same length. */
  tokens: number[][] | Int32Array[];
  /** Start at this block from `startResid` (= blocks.{startLayer}.hook_resid_pre, [B, T, d]). */
  startLayer?: number;
  startResid?: Tensor;
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
  /** The execution provider actually running ('cpu', 'cuda', 'webgpu', …). */
  readonly device: string;
  run(req: RunRequest): Promise<RunResult>;
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
