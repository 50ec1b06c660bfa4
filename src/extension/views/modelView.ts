/** Sidebar "Model": the loaded model's id, device, shape and memory; load/unload in the title bar. */
import * as vscode from 'vscode';
import type { ModelInfo } from '../../protocol/rpc';
import type { EngineSession } from '../engineSession';

export class ModelView implements vscode.TreeDataProvider<vscode.TreeItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly session: EngineSession) {
    this.sub = session.onDidChangeModel(() => this.changed.fire());
  }

  getTreeItem(e: vscode.TreeItem): vscode.TreeItem {
    return e;
  }

  getChildren(): vscode.TreeItem[] {
    const m = this.session.model;
    if (!m) {
      const item = new vscode.TreeItem('No model loaded — load one');
      item.iconPath = new vscode.ThemeIcon('cloud-download');
      item.command = { command: 'circuitExplorer.loadModel', title: 'Load Model' };
      return [item];
    }
    return modelItems(m);
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}

function row(label: string, description: string, icon: string, tooltip?: string): vscode.TreeItem {
  const item = new vscode.TreeItem(label);
  item.description = description;
  item.iconPath = new vscode.ThemeIcon(icon);
  item.tooltip = tooltip ?? `${label}: ${description}`;
  return item;
}

export function modelItems(m: ModelInfo): vscode.TreeItem[] {
  const p = m.processing;
  const processing = Object.entries(p).filter(([, on]) => on).map(([k]) => k).join(', ') || 'none';
  const id = row('Model', m.id, 'symbol-class', `${m.id}\n${m.source}`);
  id.contextValue = 'circuitModelLoaded';
  return [
    id,
    row('Device', m.device, 'chip', `execution provider: ${m.device}`),
    row('Shape', `${m.cfg.nLayers} layers × ${m.cfg.nHeads} heads, d_model ${m.cfg.dModel}`, 'layers', `${m.cfg.architecture}: n_layers ${m.cfg.nLayers}, n_heads ${m.cfg.nHeads}, d_model ${m.cfg.dModel}, d_head ${m.cfg.dHead}, d_vocab ${m.cfg.dVocab}, n_ctx ${m.cfg.nCtx}`),
    row('Memory', `${m.memory.rssMB} MB`, 'dashboard', `engine process resident memory after loading: ${m.memory.rssMB} MB`),
    row('Processing', processing, 'settings-gear'),
  ];
}
