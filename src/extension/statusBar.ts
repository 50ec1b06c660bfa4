/** Status bar: the loaded model and its device; a click runs Load Model. */
import * as vscode from 'vscode';
import type { EngineSession } from './engineSession';

export function createStatusBar(session: EngineSession): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('circuitExplorer.model', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Circuit Explorer model';
  item.command = 'circuitExplorer.loadModel';
  const update = () => {
    const m = session.model;
    item.text = m ? `$(circuit-board) ${m.id} · ${m.device}` : '$(circuit-board) no model';
    item.tooltip = m ? `Circuit Explorer: ${m.id} on ${m.device}, ${m.cfg.nLayers}×${m.cfg.nHeads} heads, ${m.memory.rssMB} MB — click to load another model` : 'Circuit Explorer: click to load a model';
  };
  update();
  item.show();
  const sub = session.onDidChangeModel(update);
  return vscode.Disposable.from(item, sub);
}
