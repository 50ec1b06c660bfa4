/**
 * The engine side of the RPC (src/protocol/rpc.ts), independent of how messages travel:
 * main.ts wires it to `process.on('message')` and the real engine; tests wire it to a
 * fake backend. Holds one model; runs load/unload/op requests one after another (one
 * model, one set of ONNX sessions) but answers `op/cancel` at once, aborting the target
 * request's AbortController whether it is running or still queued.
 */
import type { OpRequest, Progress } from '../protocol/ops';
import type { EngineMessage, LoadModelParams, ModelInfo, RpcError, RpcMethod, RpcMethods, RpcRequest } from '../protocol/rpc';
import { isRpcRequest } from '../protocol/rpc';
import { UserError } from '../engine/errors';

export interface OpContext {
  signal: AbortSignal;
  onProgress: (p: Progress) => void;
  cwd: string;
}

/** What the server needs from the engine; `M` is the loaded model's type. */
export interface EngineBackend<M> {
  load(params: LoadModelParams, ctx: OpContext): Promise<M>;
  describe(model: M, params: LoadModelParams): ModelInfo;
  runOp(model: M, req: OpRequest, ctx: OpContext): Promise<unknown>;
  dispose(model: M): Promise<void>;
}

/** Sorts a thrown value into the RPC's error kinds; a UserError keeps its one-line message. */
export function toRpcError(err: unknown, signal?: AbortSignal): RpcError {
  const e = err instanceof Error ? err : new Error(String(err));
  if (signal?.aborted || e.name === 'AbortError') return { kind: 'cancelled', message: 'cancelled' };
  if (e.name === 'UserError') return { kind: 'user', message: e.message.split('\n')[0] };
  return { kind: 'internal', message: e.message, stack: e.stack };
}

export class WorkerServer<M> {
  private model: M | undefined;
  private info: ModelInfo | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly controllers = new Map<number, AbortController>();

  constructor(
    private readonly backend: EngineBackend<M>,
    private readonly send: (msg: EngineMessage) => void,
    private readonly defaultCwd = process.cwd(),
  ) {}

  /** Entry point for every incoming message; anything that is not a request is logged and dropped. */
  handle(msg: unknown): void {
    if (!isRpcRequest(msg)) {
      this.send({ type: 'notification', method: 'log', params: { level: 'warn', message: `engine: ignored a malformed message ${JSON.stringify(msg)?.slice(0, 200)}` } });
      return;
    }
    if (msg.method === 'op/cancel') {
      const { requestId } = (msg as RpcRequest<'op/cancel'>).params;
      const ctl = this.controllers.get(requestId);
      ctl?.abort();
      this.reply(msg.id, { cancelled: ctl !== undefined });
      return;
    }
    const ctl = new AbortController();
    this.controllers.set(msg.id, ctl);
    this.queue = this.queue.then(() => this.serve(msg, ctl));
  }

  /** The loaded model's summary, if any (for tests and logs). */
  loaded(): ModelInfo | undefined {
    return this.info;
  }

  private async serve(msg: RpcRequest, ctl: AbortController): Promise<void> {
    const ctx: OpContext = {
      signal: ctl.signal,
      onProgress: (progress) => this.send({ type: 'notification', method: 'progress', params: { requestId: msg.id, progress } }),
      cwd: this.defaultCwd,
    };
    try {
      if (ctl.signal.aborted) throw toAbort();
      const result = await this.dispatch(msg, ctx);
      // An op that ignored the signal and finished anyway still counts as cancelled:
      // the caller has stopped waiting and must not save a result it gave up on.
      if (ctl.signal.aborted) throw toAbort();
      this.reply(msg.id, result);
    } catch (err) {
      this.send({ type: 'response', id: msg.id, ok: false, error: toRpcError(err, ctl.signal) });
    } finally {
      this.controllers.delete(msg.id);
    }
  }

  private async dispatch(msg: RpcRequest, ctx: OpContext): Promise<RpcMethods[RpcMethod]['result']> {
    switch (msg.method) {
      case 'model/load': {
        const params = (msg as RpcRequest<'model/load'>).params;
        const model = await this.backend.load(params, ctx);
        await this.unload();
        this.model = model;
        this.info = this.backend.describe(model, params);
        return this.info;
      }
      case 'model/unload':
        return { unloaded: await this.unload() };
      case 'op/run': {
        const { req, cwd } = (msg as RpcRequest<'op/run'>).params;
        if (this.model === undefined) throw new UserError('no model is loaded: run "Circuit Explorer: Load Model" first');
        return (await this.backend.runOp(this.model, req, { ...ctx, cwd: cwd ?? ctx.cwd })) as RpcMethods['op/run']['result'];
      }
      default:
        throw new Error(`engine: unknown method ${msg.method}`);
    }
  }

  private async unload(): Promise<boolean> {
    const m = this.model;
    this.model = undefined;
    this.info = undefined;
    if (m === undefined) return false;
    await this.backend.dispose(m);
    return true;
  }

  private reply(id: number, result: unknown): void {
    this.send({ type: 'response', id, ok: true, result } as EngineMessage);
  }
}

function toAbort(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}
