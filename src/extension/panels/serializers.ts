/**
 * Panels that survive a window reload: VS Code keeps each open panel's webview state
 * (saved by the webview with `setState`, a `PanelState`) and, on reload, activates the
 * extension (`onWebviewPanel:<viewType>`) and hands the panel and that state to these
 * serializers, which show the same figure again. A run kept by its file is read from the
 * file; if the file is gone the panel closes with a one-line warning.
 */
import * as vscode from 'vscode';
import { isAttentionPanelState, isRunPanelState } from '../../protocol/webview';
import type { PanelHost } from '../panelHost';
import { AttentionPanel } from './attentionPanel';
import { ResultPanel } from './resultPanel';

export interface PanelSerializers {
  result: vscode.WebviewPanelSerializer<unknown>;
  attention: vscode.WebviewPanelSerializer<unknown>;
}

function giveUp(panel: vscode.WebviewPanel, why: string, warn: (m: string) => void): void {
  warn(`could not restore the ${panel.title} panel: ${why}`);
  panel.dispose();
}

export function panelSerializers(context: vscode.ExtensionContext, host: PanelHost, warn: (message: string) => void): PanelSerializers {
  return {
    result: {
      async deserializeWebviewPanel(panel, state) {
        if (!isRunPanelState(state)) return giveUp(panel, 'it kept no run', warn);
        let run = state.run;
        if (state.file) {
          try {
            run = await host.readRun(state.file);
          } catch (err) {
            if (!run) return giveUp(panel, (err as Error).message.split('\n')[0], warn);
          }
        }
        ResultPanel.revive(panel, context, run!, host, state.file);
      },
    },
    attention: {
      async deserializeWebviewPanel(panel, state) {
        if (!isAttentionPanelState(state)) return giveUp(panel, 'it kept no attention pattern', warn);
        AttentionPanel.revive(panel, context, state.result, { focus: state.focus, prompt: state.prompt });
      },
    },
  };
}

/** Registers both serializers; call during activate() so a reload finds them. */
export function registerPanelSerializers(context: vscode.ExtensionContext, host: PanelHost, warn: (message: string) => void): PanelSerializers {
  const s = panelSerializers(context, host, warn);
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(ResultPanel.viewType, s.result),
    vscode.window.registerWebviewPanelSerializer(AttentionPanel.viewType, s.attention),
  );
  return s;
}
