/**
 * The extension's handle on the engine process: which model is loaded, loading it (with
 * Workspace Trust and a cancellable progress notification), and running ops with
 * `window.withProgress` whose Cancel button sends the RPC cancel.
 */
import * as vscode from 'vscode';
import type { OpName, OpRequest, OpResult } from '../protocol/ops';
import type { ModelInfo } from '../protocol/rpc';
import { EngineClient, EngineError } from '../worker/client';
import { heapLimitMB, withSweepBudget } from './memoryBudget';
import { chooseModel, type ModelOrigin } from './trust';
import { checkTrust, defaultModelChoice, loadParams, readSettings } from './settings';

export class EngineSession implements vscode.Disposable {
  private client: EngineClient | undefined;
  private info: ModelInfo | undefined;
  private loading: Promise<ModelInfo> | undefined;
  private readonly changed = new vscode.EventEmitter<ModelInfo | undefined>();
  /** Fires after a load, an unload or a crash. */
  readonly onDidChangeModel = this.changed.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
  ) {}

  get model(): ModelInfo | undefined {
    return this.info;
  }

  private engine(): EngineClient {
    if (this.client) return this.client;
    const client = new EngineClient({
      workerPath: this.context.asAbsolutePath('dist/worker.js'),
      // How the budget splits between the heap and the sweeps: memoryBudget.ts.
      memoryMB: heapLimitMB(readSettings().memoryBudgetMB),
      cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? this.context.extensionPath,
      onLog: (level, message) => this.output.appendLine(`[engine ${level}] ${message}`),
    });
    client.onCrash((reason) => {
      this.output.appendLine(`[engine] crashed: ${reason}`);
      void vscode.window.showErrorMessage(`Circuit Explorer: ${reason}`);
    });
    this.client = client;
    return client;
  }

  /** Loads `model` (a bundled name, hub id or folder) with the current settings. */
  async load(model: string, origin: ModelOrigin): Promise<ModelInfo> {
    checkTrust(model, origin);
    const params = loadParams(model, vscode.Uri.joinPath(this.context.globalStorageUri, 'hub').fsPath);
    const task = Promise.resolve(vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Circuit Explorer: loading ${model}`, cancellable: true },
      (progress, token) =>
        this.engine().load(params, {
          signal: abortOn(token),
          onProgress: (p) => progress.report({ message: p.message ?? `${p.done}/${p.total}` }),
        }),
    ));
    this.loading = task;
    try {
      this.info = await task;
      this.output.appendLine(`[engine] loaded ${this.info.id} on ${this.info.device} (${this.info.memory.rssMB} MB)`);
      this.changed.fire(this.info);
      return this.info;
    } finally {
      if (this.loading === task) this.loading = undefined;
    }
  }

  async unload(): Promise<void> {
    await this.client?.unload();
    this.info = undefined;
    this.changed.fire(undefined);
  }

  /**
   * The loaded model. When none is loaded: the model a prompt set names (`preferred`; in an
   * untrusted workspace only if it is bundled, else the bundled demo with a warning), or
   * the default model (circuitExplorer.defaultModel).
   */
  async ensureModel(preferred?: string): Promise<ModelInfo> {
    if (this.info) return this.info;
    if (this.loading) return this.loading;
    const choice = chooseModel({ preferred, defaultModel: defaultModelChoice(), trusted: vscode.workspace.isTrusted });
    if (choice.warning) void vscode.window.showWarningMessage(`Circuit Explorer: ${choice.warning}`);
    return this.load(choice.model, choice.origin);
  }

  /** Runs an op behind a cancellable progress notification. */
  async run<N extends OpName>(req: Extract<OpRequest, { op: N }>, title: string): Promise<OpResult<N>> {
    await this.ensureModel('spec' in req ? req.spec?.model : undefined);
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Circuit Explorer: ${title}`, cancellable: true },
      (progress, token) => {
        let last = 0;
        return this.engine().runOp<N>(withSweepBudget(req, readSettings().memoryBudgetMB), {
          signal: abortOn(token),
          cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
          onProgress: (p) => {
            const pct = p.total > 0 ? (100 * p.done) / p.total : 0;
            progress.report({ increment: Math.max(0, pct - last), message: p.message ?? `${p.done}/${p.total}` });
            last = pct;
          },
        });
      },
    );
  }

  /** Runs a quick op with no UI (tokenize for previews, the hover's logit lens). */
  async runQuiet<N extends OpName>(req: Extract<OpRequest, { op: N }>, signal?: AbortSignal): Promise<OpResult<N>> {
    if (!this.info) throw new EngineError('user', 'no model is loaded');
    return this.engine().runOp<N>(req, { signal });
  }

  dispose(): void {
    this.client?.dispose();
    this.client = undefined;
    this.changed.dispose();
  }
}

function abortOn(token: vscode.CancellationToken): AbortSignal {
  const ctl = new AbortController();
  if (token.isCancellationRequested) ctl.abort();
  else token.onCancellationRequested(() => ctl.abort());
  return ctl.signal;
}
