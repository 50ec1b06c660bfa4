/**
 * Circuit Explorer's VS Code entry point (bundled to dist/extension.js). Wires the engine
 * session, the sidebar views, the hover, the status bar and one command per file under
 * commands/. The engine process is started lazily, on the first request.
 */
import * as vscode from 'vscode';
import type { OpName, OpRequest, OpResult } from '../protocol/ops';
import { EngineSession } from './engineSession';
import { reportError } from './errors';
import { LogitLensHover } from './hover';
import type { PanelHost } from './panelHost';
import { AttentionPanel } from './panels/attentionPanel';
import { ResultPanel } from './panels/resultPanel';
import { registerPanelSerializers, type PanelSerializers } from './panels/serializers';
import { showRun } from './runAndShow';
import { RunsRepo } from './runs';
import type { CommandModule, Services } from './services';
import { SECTION } from './settings';
import { createStatusBar } from './statusBar';
import { ModelView } from './views/modelView';
import { PromptSetsView } from './views/promptSetsView';
import { RunsView } from './views/runsView';
import { ablateHeads } from './commands/ablateHeads';
import { activationPatching } from './commands/activationPatching';
import { addPrompt } from './commands/addPrompt';
import { attributionPatching } from './commands/attributionPatching';
import { detectHeadTypes } from './commands/detectHeadTypes';
import { directLogitAttribution } from './commands/directLogitAttribution';
import { editPrompt } from './commands/editPrompt';
import { exportFigure } from './commands/exportFigure';
import { loadModel } from './commands/loadModel';
import { logitLens } from './commands/logitLens';
import { openRun } from './commands/openRun';
import { pathPatching } from './commands/pathPatching';
import { removePrompt } from './commands/removePrompt';
import { revealPrompt } from './commands/revealPrompt';
import { scoreAttribution } from './commands/scoreAttribution';
import { showAttention } from './commands/showAttention';
import { testPrompt } from './commands/testPrompt';
import { unloadModel } from './commands/unloadModel';

export const COMMANDS: readonly CommandModule[] = [
  loadModel, unloadModel, testPrompt, showAttention, activationPatching, attributionPatching, pathPatching, directLogitAttribution, scoreAttribution,
  logitLens, ablateHeads, detectHeadTypes, exportFigure, openRun, addPrompt, editPrompt, removePrompt, revealPrompt,
];

/** What activate() returns: the services, for the VS Code test suites. */
export interface CircuitExplorerApi {
  services: Services;
  hover: LogitLensHover;
  views: { promptSets: PromptSetsView; runs: RunsView };
  /** The reload serializers of the result and attention panels, and what those panels show. */
  panels: { serializers: PanelSerializers; result: typeof ResultPanel.shown; attention: typeof AttentionPanel.shown };
}

export function activate(context: vscode.ExtensionContext): CircuitExplorerApi {
  const output = vscode.window.createOutputChannel('Circuit Explorer');
  const session = new EngineSession(context, output);
  const runs = new RunsRepo(context, (message) => {
    output.appendLine(`[runs] ${message}`);
    void vscode.window.showWarningMessage(`Circuit Explorer: ${message}`);
  });
  const runsView = new RunsView(runs);
  const host: PanelHost = {
    attention: ({ prompt, layer, head, prependBos }) => session.run({ op: 'attention', prompt, layers: [layer], prependBos }, `attention L${layer}H${head}`),
    runOp: <N extends OpName>(req: Extract<OpRequest, { op: N }>): Promise<OpResult<N>> => session.run<N>(req, req.op),
    revealRun: async (file) => {
      await runsView.reveal(file);
      showRun(services, await runs.read(file), file);
    },
    readRun: (file) => runs.read(file),
    modelId: () => session.model?.id,
  };
  const services: Services = { context, session, runs, output, host, revealInRuns: (file) => runsView.reveal(file) };
  const serializers = registerPanelSerializers(context, host, (message) => {
    output.appendLine(`[panels] ${message}`);
    void vscode.window.showWarningMessage(`Circuit Explorer: ${message}`);
  });

  const hover = new LogitLensHover(session);
  runsView.view = vscode.window.createTreeView('circuitExplorer.runs', { treeDataProvider: runsView });
  const promptSets = new PromptSetsView(session);
  context.subscriptions.push(
    output,
    session,
    runs,
    runsView,
    runsView.view,
    promptSets,
    vscode.window.createTreeView('circuitExplorer.model', { treeDataProvider: new ModelView(session) }),
    vscode.window.createTreeView('circuitExplorer.promptSets', { treeDataProvider: promptSets, showCollapseAll: true }),
    vscode.languages.registerHoverProvider([{ scheme: 'file' }, { scheme: 'untitled' }], hover),
    createStatusBar(session),
    session.onDidChangeModel((m) => {
      hover.clear();
      void vscode.commands.executeCommand('setContext', 'circuitExplorer.modelLoaded', m !== undefined);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!session.model) return;
      const keys = ['device', 'processing', 'hubBaseUrl', 'memoryBudgetMB'].map((k) => `${SECTION}.${k}`);
      if (keys.some((k) => e.affectsConfiguration(k))) {
        void vscode.window.showInformationMessage('Circuit Explorer: reload the model to apply the new settings.', 'Reload').then((c) => {
          if (c === 'Reload' && session.model) void vscode.commands.executeCommand('circuitExplorer.loadModel', { model: session.model.id });
        });
      }
    }),
  );
  for (const cmd of COMMANDS) {
    context.subscriptions.push(
      vscode.commands.registerCommand(cmd.id, async (args?: unknown) => {
        try {
          return await cmd.run(services, args);
        } catch (err) {
          reportError(err, output, cmd.id);
          // Callers (tests, other commands) see the failure without a second notification.
          return { error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
  }
  return {
    services,
    hover,
    views: { promptSets, runs: runsView },
    panels: { serializers, result: () => ResultPanel.shown(), attention: () => AttentionPanel.shown() },
  };
}

export function deactivate(): void {
  // Disposing the context's subscriptions (done by VS Code) stops the engine process.
}
