/**
 * The result panel (one, reused): heatmaps and charts of any saved run. A click on a head
 * asks the PanelHost for that head's attention pattern and opens the AttentionPanel.
 */
import * as vscode from 'vscode';
import type { SavedRun } from '../../protocol/ops';
import type { HostToWebviewMessage, WebviewToHostMessage } from '../../protocol/webview';
import type { PanelHost } from '../panelHost';
import { AttentionPanel } from './attentionPanel';
import { BasePanel, createWebviewPanel, themeHints } from './basePanel';
import { promptForRun, runTitle } from './runPrompt';

export class ResultPanel extends BasePanel {
  static readonly viewType = 'circuitExplorer.result';
  private static current: ResultPanel | undefined;

  static createOrShow(context: vscode.ExtensionContext, run: SavedRun, host: PanelHost): ResultPanel {
    if (ResultPanel.current) {
      ResultPanel.current.update(run, host);
      return ResultPanel.current;
    }
    const panel = createWebviewPanel(context.extensionUri, ResultPanel.viewType, runTitle(run));
    ResultPanel.current = new ResultPanel(panel, context, run, host);
    return ResultPanel.current;
  }

  private constructor(panel: vscode.WebviewPanel, private readonly context: vscode.ExtensionContext, private run: SavedRun, private host: PanelHost) {
    super(panel, context.extensionUri, 'result');
  }

  private update(run: SavedRun, host: PanelHost): void {
    this.run = run;
    this.host = host;
    this.panel.title = runTitle(run);
    this.panel.reveal(undefined, true);
    this.send();
  }

  protected dataMessage(): HostToWebviewMessage {
    return { type: 'run/show', run: this.run, theme: themeHints(), title: runTitle(this.run) };
  }

  protected override async onMessage(m: WebviewToHostMessage): Promise<void> {
    if (m.type !== 'head/open') return;
    const spec = this.run.spec as { prependBos?: boolean; spec?: { prependBos?: boolean } };
    const prompt = promptForRun(this.run, m.promptIndex) ??
      (await vscode.window.showInputBox({ title: `Attention of L${m.layer}H${m.head}`, prompt: 'Prompt to show the attention pattern on' }));
    if (!prompt) return;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Attention of L${m.layer}H${m.head}` },
      () => this.host.attention({ prompt, layer: m.layer, head: m.head, prependBos: spec.prependBos ?? spec.spec?.prependBos }),
    );
    AttentionPanel.createOrShow(this.context, result, { prompt, focus: { layer: m.layer, head: m.head } });
  }

  override dispose(): void {
    if (ResultPanel.current === this) ResultPanel.current = undefined;
    super.dispose();
  }
}
