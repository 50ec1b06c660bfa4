/** Sidebar "Runs": `.circuits/runs/*.json`, newest first; a click reopens the run's panel. */
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { RunsRepo } from '../runs';

export interface RunNode { file: string }

/** `20261123T150831123Z-patch-resid_pre.json` → { when: "2026-11-23 15:08:31", kind: "patch-resid_pre" }. */
export function describeRunFile(file: string): { when: string; kind: string } {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\d*Z-(.+)\.json$/.exec(basename(file));
  if (!m) return { when: '', kind: basename(file, '.json') };
  return { when: `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}`, kind: m[7] };
}

export class RunsView implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;
  view: vscode.TreeView<RunNode> | undefined;

  constructor(private readonly runs: RunsRepo) {
    this.sub = runs.onDidChange(() => this.changed.fire());
  }

  getTreeItem(n: RunNode): vscode.TreeItem {
    const { when, kind } = describeRunFile(n.file);
    const item = new vscode.TreeItem(kind);
    item.id = n.file;
    item.description = when ? `${when} UTC` : undefined;
    item.tooltip = n.file;
    item.resourceUri = vscode.Uri.file(n.file);
    item.iconPath = new vscode.ThemeIcon('graph');
    item.contextValue = 'circuitRun';
    item.command = { command: 'circuitExplorer.openRun', title: 'Open Run', arguments: [{ file: n.file }] };
    return item;
  }

  async getChildren(n?: RunNode): Promise<RunNode[]> {
    if (n) return [];
    return (await this.runs.list()).map((file) => ({ file }));
  }

  getParent(): undefined {
    return undefined;
  }

  async reveal(file: string): Promise<void> {
    this.changed.fire();
    await this.view?.reveal({ file }, { select: true, focus: false }).then(undefined, () => undefined);
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
