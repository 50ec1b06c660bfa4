/**
 * The analysis operations, as requests. The same objects drive the CLI (one command
 * each, CONTRACTS §1), the engine worker's RPC and the saved runs (§3).
 * Imports nothing but sibling protocol files.
 */
import type {
  AblateResult,
  AttentionResult,
  DlaResult,
  ScoreAttributionResult,
  HeadsResult,
  LogitLensResult,
  PatchKind,
  PatchResult,
  PathPatchResult,
  TestPromptResult,
} from './results';

/** A prompt-set file (`*.circuit.json`, CONTRACTS §2), as parsed. */
export interface PromptSetFile {
  name?: string;
  model?: string;
  prependBos?: boolean;
  /** "first": an answer of several tokens uses its first token (as the seeds do). */
  answerToken?: 'first' | 'error';
  prompts: { clean: string; corrupted?: string; answer?: string; wrong?: string }[];
}

export interface ProcessingFlags {
  foldLn?: boolean;
  centerWritingWeights?: boolean;
  centerUnembed?: boolean;
  foldValueBiases?: boolean;
}

export type OpRequest =
  | { op: 'tokenize'; text: string; prependBos?: boolean }
  | { op: 'test-prompt'; prompt: string; answer: string; topK?: number; prependBos?: boolean }
  | { op: 'run'; prompt: string; hooks?: string[]; topK?: number; prependBos?: boolean }
  | {
      op: 'patch';
      spec: PromptSetFile;
      kind: PatchKind;
      noising?: boolean;
      /** Activations of one chunk of the sweep, MB (default 1024). */
      memoryBudgetMB?: number;
      /** 'attribution': the gradient estimate of every site from one backward pass (default 'activation'). */
      method?: 'activation' | 'attribution';
    }
  | { op: 'path-patch'; spec: PromptSetFile; receivers: string[]; receiverInput: 'q' | 'k' | 'v' | 'resid'; /** As for patch. */ memoryBudgetMB?: number }
  | { op: 'dla'; spec: PromptSetFile }
  | { op: 'logit-lens'; prompt: string; pos?: number; tokens?: string[]; mode?: 'own-scale' | 'final-scale'; topK?: number; prependBos?: boolean }
  | { op: 'ablate'; heads: string[]; prompt?: string; text?: string; /** Read from this file (relative to the op's cwd) instead of `text`. */ textFile?: string; mode?: 'zero' | 'mean' | 'resample'; topK?: number; /** Seed of resample ablation. */ seed?: number }
  | { op: 'heads'; detect?: string[]; seqLen?: number; batch?: number; seed?: number }
  | { op: 'attention'; prompt: string; layers?: number[]; heads?: number[]; prependBos?: boolean }
  | {
      op: 'score-attribution';
      /** The head whose score is split, "layer.head". */
      head: string;
      /** Split the key-side (default) or the query-side residual; the other side stays fixed. */
      side?: 'key' | 'query';
      /** A prompt set (every prompt, averaged) or one prompt. */
      spec?: PromptSetFile;
      prompt?: string;
      prependBos?: boolean;
      /** Positions: an index (negative from the end) or a token string, first occurrence;
       *  "answer"/"wrong" are a set prompt's own tokens. Query default −1, key default "answer". */
      query?: number | string;
      key?: number | string;
    };

export interface TokenizeResult { tokens: number[]; strTokens: string[] }
export interface RunOpResult {
  strTokens: string[];
  top: { token: string; id: number; logit: number; prob: number }[];
  cache: { [hook: string]: { dims: number[]; data: number[] } };
}

export interface OpResultMap {
  tokenize: TokenizeResult;
  'test-prompt': TestPromptResult;
  run: RunOpResult;
  patch: PatchResult;
  'path-patch': PathPatchResult;
  dla: DlaResult;
  'logit-lens': LogitLensResult;
  ablate: AblateResult;
  heads: HeadsResult;
  attention: AttentionResult;
  'score-attribution': ScoreAttributionResult;
}

export type OpName = OpRequest['op'];
export type OpResult<N extends OpName> = OpResultMap[N];

/** Progress of a long operation: done/total units (e.g. sites), with a message. */
export interface Progress { done: number; total: number; message?: string }

/** A saved run, `.circuits/runs/<timestamp>-<kind>.json` (CONTRACTS §3). */
export interface SavedRun<N extends OpName = OpName> {
  version: 1;
  model: { id: string; revision?: string; processing: Required<ProcessingFlags> };
  spec: Extract<OpRequest, { op: N }>;
  command: N;
  result: OpResult<N>;
  seconds: number;
  engine: { device: string; onnxruntime?: string };
}
