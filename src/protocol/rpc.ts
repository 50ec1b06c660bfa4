/**
 * Typed RPC between the extension host and the engine worker process
 * (`child_process.fork` of dist/worker.js, messages over the Node IPC channel).
 *
 * Directions:
 *   host → engine   RpcRequest       (`model/load`, `model/unload`, `op/run`, `op/cancel`)
 *   engine → host   RpcResponse      (one per request, same `id`)
 *   engine → host   RpcNotification  (`progress` of a running request, `log`)
 *
 * The engine runs one request at a time per model but answers `op/cancel` at once, so a
 * cancel never waits behind the operation it cancels. Imports nothing but sibling protocol files.
 */
import type { OpName, OpRequest, OpResult, ProcessingFlags, Progress } from './ops';

/** Execution provider choice (setting `circuitExplorer.device`, CLI `--device`). */
export type DeviceSetting = 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';

/** What to load: the engine's load options, as plain data that crosses the process boundary. */
export interface LoadModelParams {
  /** A local folder, a Hugging Face hub id (`gpt2`, `EleutherAI/pythia-70m`) or a bundled name. */
  model: string;
  device?: DeviceSetting;
  processing?: ProcessingFlags;
  /** Base URL of the hub (mirrors, tests serving from 127.0.0.1); default https://huggingface.co. */
  hubBaseUrl?: string;
  /** Where hub downloads are kept (the extension's global storage). */
  cacheDir?: string;
  /** Batch memory budget for sweeps, in MB. */
  memoryBudgetMB?: number;
}

/** A summary of the loaded model, small enough to show in the sidebar and status bar. */
export interface ModelInfo {
  id: string;
  /** Where the checkpoint was read from (folder path). */
  source: string;
  revision?: string;
  /** The execution provider actually running ('cpu', 'cuda', 'webgpu', …). */
  device: string;
  cfg: { architecture: string; nLayers: number; nHeads: number; dModel: number; dHead: number; dVocab: number; nCtx: number };
  processing: Required<ProcessingFlags>;
  /** Memory of the engine process after loading, in MB. */
  memory: { rssMB: number; heapUsedMB: number };
  onnxruntime?: string;
}

/** Every request, its params and its result. */
export interface RpcMethods {
  'model/load': { params: LoadModelParams; result: ModelInfo };
  'model/unload': { params: Record<string, never>; result: { unloaded: boolean } };
  /** `cwd` resolves relative paths inside the request (e.g. a text file for ablation). */
  'op/run': { params: { req: OpRequest; cwd?: string }; result: OpResult<OpName> };
  /** Cancels the request with id `requestId`; its response then carries kind 'cancelled'. */
  'op/cancel': { params: { requestId: number }; result: { cancelled: boolean } };
}
export type RpcMethod = keyof RpcMethods;

/** host → engine */
export interface RpcRequest<M extends RpcMethod = RpcMethod> {
  type: 'request';
  id: number;
  method: M;
  params: RpcMethods[M]['params'];
}

/**
 * How a request failed. 'user': bad input, the message is one line for the user (UserError);
 * 'cancelled': the caller cancelled it; 'internal': a bug or a runtime failure;
 * 'crashed': the engine process died (set by the client, never sent by the engine).
 */
export interface RpcError {
  kind: 'user' | 'internal' | 'cancelled' | 'crashed';
  message: string;
  stack?: string;
}

/** engine → host, exactly one per request. */
export type RpcResponse<M extends RpcMethod = RpcMethod> =
  | { type: 'response'; id: number; ok: true; result: RpcMethods[M]['result'] }
  | { type: 'response'; id: number; ok: false; error: RpcError };

/** engine → host: progress of the request `requestId`. */
export interface ProgressNotification {
  type: 'notification';
  method: 'progress';
  params: { requestId: number; progress: Progress };
}

/** engine → host: a log line (shown in the "Circuit Explorer" output channel). */
export interface LogNotification {
  type: 'notification';
  method: 'log';
  params: { level: 'info' | 'warn' | 'error'; message: string };
}

export type RpcNotification = ProgressNotification | LogNotification;
export type EngineMessage = RpcResponse | RpcNotification;

const METHODS: readonly string[] = ['model/load', 'model/unload', 'op/run', 'op/cancel'];

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

export function isRpcRequest(x: unknown): x is RpcRequest {
  return isObject(x) && x.type === 'request' && typeof x.id === 'number' && typeof x.method === 'string' && METHODS.includes(x.method) && isObject(x.params);
}

export function isRpcResponse(x: unknown): x is RpcResponse {
  return isObject(x) && x.type === 'response' && typeof x.id === 'number' && typeof x.ok === 'boolean';
}

export function isProgressNotification(x: unknown): x is ProgressNotification {
  return isObject(x) && x.type === 'notification' && x.method === 'progress' && isObject(x.params) && typeof x.params.requestId === 'number';
}

export function isLogNotification(x: unknown): x is LogNotification {
  return isObject(x) && x.type === 'notification' && x.method === 'log' && isObject(x.params) && typeof x.params.message === 'string';
}
