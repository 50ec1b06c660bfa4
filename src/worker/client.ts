/**
 * The host side of the engine RPC: forks dist/worker.js and speaks src/protocol/rpc.ts
 * to it. No vscode import, so the CLI, tests and the extension can all use it.
 *
 * Crashes (including V8 running out of heap, which aborts the process) reject every
 * pending request with kind 'crashed' and a one-line reason, and fire `onCrash`. The
 * next request forks a fresh worker and, unless it is itself a load, first reloads the
 * model that was last loaded successfully, so a crash costs one failed request.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { OpName, OpRequest, OpResult, Progress } from '../protocol/ops';
import type { LoadModelParams, ModelInfo, RpcError, RpcMethod, RpcMethods, RpcRequest } from '../protocol/rpc';
import { isLogNotification, isProgressNotification, isRpcResponse } from '../protocol/rpc';

export class EngineError extends Error {
  override name = 'EngineError';
  constructor(readonly kind: RpcError['kind'], message: string, readonly engineStack?: string) {
    super(message);
  }
}

export interface EngineClientOptions {
  /** Path of the bundled worker (dist/worker.js). */
  workerPath: string;
  /** V8 heap limit of the engine process (`--max-old-space-size`), MB. */
  memoryMB?: number;
  /** Extra Node flags for the engine process (tests run a TypeScript worker with `--import tsx`). */
  execArgv?: string[];
  /** Working directory of the engine process. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Engine log lines and its stderr. */
  onLog?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** After asking to cancel, how long to wait for the engine before killing it (ms). */
  cancelGraceMs?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (p: Progress) => void;
  method: RpcMethod;
}

export type CrashListener = (reason: string) => void;

const STDERR_TAIL = 4000;

export class EngineClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly crashListeners = new Set<CrashListener>();
  private lastLoad: LoadModelParams | undefined;
  private needsReload = false;
  private stderrTail = '';
  private disposed = false;

  constructor(private readonly opts: EngineClientOptions) {}

  /** Fires when the engine process dies unexpectedly, with a one-line reason. */
  onCrash(listener: CrashListener): { dispose(): void } {
    this.crashListeners.add(listener);
    return { dispose: () => this.crashListeners.delete(listener) };
  }

  /** Whether an engine process is running now. */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** Pid of the engine process (tests kill it to simulate a crash). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async request<M extends RpcMethod>(method: M, params: RpcMethods[M]['params'], ro: RequestOptions = {}): Promise<RpcMethods[M]['result']> {
    if (this.disposed) throw new EngineError('internal', 'the engine client has been disposed');
    if (ro.signal?.aborted) throw new EngineError('cancelled', 'cancelled');
    if (method !== 'model/load' && method !== 'model/unload' && this.needsReload && this.lastLoad) {
      this.needsReload = false;
      this.opts.onLog?.('info', `engine: restarting and reloading ${this.lastLoad.model}`);
      await this.send('model/load', this.lastLoad, { signal: ro.signal, onProgress: ro.onProgress });
    }
    if (method === 'model/load') this.needsReload = false;
    const result = await this.send(method, params, ro);
    if (method === 'model/load') this.lastLoad = params as LoadModelParams;
    if (method === 'model/unload') this.lastLoad = undefined;
    return result;
  }

  /** Runs one analysis op; the result is typed by the op's name. */
  runOp<N extends OpName>(req: Extract<OpRequest, { op: N }>, ro: RequestOptions & { cwd?: string } = {}): Promise<OpResult<N>> {
    return this.request('op/run', { req, cwd: ro.cwd }, ro) as Promise<OpResult<N>>;
  }

  load(params: LoadModelParams, ro: RequestOptions = {}): Promise<ModelInfo> {
    return this.request('model/load', params, ro);
  }

  async unload(): Promise<void> {
    this.lastLoad = undefined;
    this.needsReload = false;
    if (this.child) await this.send('model/unload', {} as Record<string, never>, {});
  }

  /** Stops the engine process; pending requests are rejected. */
  dispose(): void {
    this.disposed = true;
    const child = this.child;
    this.child = undefined;
    this.failAll(new EngineError('cancelled', 'the engine was stopped'));
    child?.kill();
  }

  /** Kills the engine process as a crash would (used by "restart engine" and tests). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  private send<M extends RpcMethod>(method: M, params: RpcMethods[M]['params'], ro: RequestOptions): Promise<RpcMethods[M]['result']> {
    const child = this.ensureChild();
    const id = this.nextId++;
    return new Promise<RpcMethods[M]['result']>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      let graceTimer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        if (onAbort) ro.signal?.removeEventListener('abort', onAbort);
        if (graceTimer) clearTimeout(graceTimer);
      };
      this.pending.set(id, {
        method,
        onProgress: ro.onProgress,
        resolve: (v) => { cleanup(); resolve(v as RpcMethods[M]['result']); },
        reject: (e) => { cleanup(); reject(e); },
      });
      if (ro.signal) {
        onAbort = () => {
          const p = this.pending.get(id);
          if (!p || this.child !== child) return;
          child.send({ type: 'request', id: this.nextId++, method: 'op/cancel', params: { requestId: id } } satisfies RpcRequest<'op/cancel'>);
          // An engine stuck in a long synchronous loop cannot hear the cancel; do not let
          // it hold every later request hostage.
          graceTimer = setTimeout(() => {
            if (this.pending.has(id) && this.child === child) {
              this.opts.onLog?.('warn', 'engine: did not stop after cancel; restarting it');
              this.pending.delete(id);
              p.reject(new EngineError('cancelled', 'cancelled'));
              this.needsReload = true;
              this.child = undefined;
              this.failAll(new EngineError('cancelled', 'the engine was restarted after a cancel'));
              child.kill('SIGKILL');
            }
          }, this.opts.cancelGraceMs ?? 10_000);
          graceTimer.unref?.();
        };
        ro.signal.addEventListener('abort', onAbort, { once: true });
      }
      child.send({ type: 'request', id, method, params } as RpcRequest);
    });
  }

  private ensureChild(): ChildProcess {
    if (this.child) return this.child;
    const execArgv = [...(this.opts.execArgv ?? [])];
    if (this.opts.memoryMB) execArgv.push(`--max-old-space-size=${Math.round(this.opts.memoryMB)}`);
    const child = fork(this.opts.workerPath, [], {
      execArgv,
      cwd: this.opts.cwd,
      env: this.opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.stderrTail = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (s: string) => this.opts.onLog?.('info', s.trimEnd()));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-STDERR_TAIL);
      this.opts.onLog?.('warn', s.trimEnd());
    });
    child.on('message', (msg) => this.onMessage(msg));
    child.on('error', (err) => this.onExit(child, null, null, err));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    this.child = child;
    return child;
  }

  private onMessage(msg: unknown): void {
    if (isRpcResponse(msg)) {
      const p = this.pending.get(msg.id);
      if (!p) return; // answered after the client gave up on it (cancel grace, crash)
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new EngineError(msg.error.kind, msg.error.message, msg.error.stack));
    } else if (isProgressNotification(msg)) {
      this.pending.get(msg.params.requestId)?.onProgress?.(msg.params.progress);
    } else if (isLogNotification(msg)) {
      this.opts.onLog?.(msg.params.level, msg.params.message);
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, err?: Error): void {
    if (this.child !== child) return; // already replaced (dispose, cancel grace)
    this.child = undefined;
    if (this.disposed) return;
    const reason = crashReason(code, signal, this.stderrTail, this.opts.memoryMB, err);
    this.needsReload = this.lastLoad !== undefined;
    this.failAll(new EngineError('crashed', reason));
    for (const l of this.crashListeners) l(reason);
  }

  private failAll(err: EngineError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }
}

/** One line saying why the engine process died, naming out-of-memory when that was it. */
export function crashReason(code: number | null, signal: NodeJS.Signals | null, stderr: string, memoryMB?: number, err?: Error): string {
  if (err) return `the engine process failed to start: ${err.message}`;
  if (/heap out of memory|Allocation failed|out of memory|std::bad_alloc/i.test(stderr)) {
    const limit = memoryMB ? ` (limit ${memoryMB} MB, setting circuitExplorer.memoryBudgetMB)` : '';
    return `the engine process ran out of memory${limit}; try a smaller model, fewer prompts or a larger memory budget`;
  }
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return `the engine process ${how}; it restarts on the next request`;
}
