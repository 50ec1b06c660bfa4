/** The panels' entry points for commands (src/extension/commands/**). */
import * as vscode from 'vscode';
import type { SavedRun } from '../../protocol/ops';
import type { AttentionResult } from '../../protocol/results';
import type { ExportFormat } from '../../protocol/webview';
import { EXPORT_FORMATS } from '../../protocol/webview';
import type { PanelHost } from '../panelHost';
import type { AttentionShowOptions } from './attentionPanel';
import { AttentionPanel } from './attentionPanel';
import { BasePanel } from './basePanel';
import { ResultPanel } from './resultPanel';

/** Shows a saved run (any analysis) in the result panel; `file` is where it is saved. */
export function openRunPanel(context: vscode.ExtensionContext, run: SavedRun, host: PanelHost, file?: string): void {
  ResultPanel.createOrShow(context, run, host, file);
}

/** Shows attention patterns; `opts.focus` picks the head drawn large. */
export function openAttentionPanel(context: vscode.ExtensionContext, result: AttentionResult, opts?: AttentionShowOptions): void {
  AttentionPanel.createOrShow(context, result, opts);
}

/** "Export figure": asks the last active panel's webview for the figure, then a save dialog. */
export async function exportCurrentFigure(format?: ExportFormat): Promise<void> {
  const panel = BasePanel.active;
  if (!panel) {
    void vscode.window.showWarningMessage('Circuit Explorer: open a result or attention panel to export its figure.');
    return;
  }
  const chosen = format ?? ((await vscode.window.showQuickPick(EXPORT_FORMATS.map((f) => f.toUpperCase()), { title: 'Export figure as' }))?.toLowerCase() as ExportFormat | undefined);
  if (chosen) panel.requestExport(chosen);
}
