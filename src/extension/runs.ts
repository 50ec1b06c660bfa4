/**
 * Runs, the extension side: where they are kept (the workspace's `.circuits/runs/`, or the
 * extension's global storage without a workspace), running an op and saving its result as a
 * SavedRun, and opening it in a panel. A cancelled or failed run saves nothing.
 */
import * as vscode from 'vscode';
import type { OpName, OpRequest, OpResult, SavedRun } from '../protocol/ops';
import type { EngineSession } from './engineSession';
import { readRun, saveRun, scanRuns, type RunCheckCache } from './runStore';

export class RunsRepo implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  /** Fires with the new file after a save (and undefined when the folder changed on disk). */
  readonly onDidChange = this.changed.event;
  private readonly watcher: vscode.FileSystemWatcher | undefined;
  private readonly checked: RunCheckCache = new Map();
  private readonly reported = new Set<string>();

  /** `report` hears once about each file in the runs folder that is not a readable run. */
  constructor(private readonly context: vscode.ExtensionContext, private readonly report: (message: string) => void = () => undefined) {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder) {
      this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '.circuits/runs/*.json'));
      const fire = () => this.changed.fire(undefined);
      this.watcher.onDidCreate(fire);
      this.watcher.onDidChange(fire);
      this.watcher.onDidDelete(fire);
    }
  }

  dir(): string {
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder ? vscode.Uri.joinPath(folder.uri, '.circuits', 'runs').fsPath : vscode.Uri.joinPath(this.context.globalStorageUri, 'runs').fsPath;
  }

  /** Readable runs, newest first; corrupt files are skipped and reported (once each). */
  async list(): Promise<string[]> {
    const { files, bad } = await scanRuns(this.dir(), this.checked);
    for (const b of bad) {
      if (this.reported.has(b.reason)) continue;
      this.reported.add(b.reason);
      this.report(`skipping a run file that cannot be read: ${b.reason}`);
    }
    return files;
  }

  read(file: string): Promise<SavedRun> {
    return readRun(file);
  }

  async save(run: SavedRun): Promise<string> {
    const file = await saveRun(this.dir(), run);
    this.changed.fire(file);
    return file;
  }

  dispose(): void {
    this.watcher?.dispose();
    this.changed.dispose();
  }
}

/** Runs `req` with progress, saves the run, and returns it with its file. */
export async function runAndSave<N extends OpName>(session: EngineSession, runs: RunsRepo, req: Extract<OpRequest, { op: N }>, title: string): Promise<{ file: string; run: SavedRun<N> }> {
  const t0 = performance.now();
  const result: OpResult<N> = await session.run<N>(req, title);
  const seconds = (performance.now() - t0) / 1000;
  const m = session.model!;
  const run: SavedRun<N> = {
    version: 1,
    model: { id: m.id, revision: m.revision, processing: m.processing },
    spec: req,
    command: req.op as N,
    result,
    seconds,
    engine: { device: m.device, onnxruntime: m.onnxruntime },
  };
  const file = await runs.save(run as unknown as SavedRun);
  return { file, run };
}
