/**
 * The result panel (one, reused): heatmaps and charts of any saved run. A click on a head
 * asks the PanelHost for that head's attention pattern and opens the AttentionPanel.
 */
import * as vscode from 'vscode';
import type { SavedRun } from '../../protocol/ops';
import type { HostToWebviewMessage, WebviewToHostMessage } from '../../protocol/webview';
import type { PanelHost } from '../panelHost';
import { AttentionPanel } from './attentionPanel';
import { adoptWebviewPanel, BasePanel, createWebviewPanel, themeHints } from './basePanel';
import { promptForRun, runTitle } from './runPrompt';

export class ResultPanel extends BasePanel {
  static readonly viewType = 'circuitExplorer.result';
  private static current: ResultPanel | undefined;

  /** `file`: where the run is saved, so a window reload can bring it back from there. */
  static createOrShow(context: vscode.ExtensionContext, run: SavedRun, host: PanelHost, file?: string): ResultPanel {
    if (ResultPanel.current) {
      ResultPanel.current.update(run, host, file);
      return ResultPanel.current;
    }
    const panel = createWebviewPanel(context.extensionUri, ResultPanel.viewType, runTitle(run));
    ResultPanel.current = new ResultPanel(panel, context, run, host, file);
    return ResultPanel.current;
  }

  /** Takes over a panel VS Code restored after a reload (the panel serializer). */
  static revive(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, run: SavedRun, host: PanelHost, file?: string): ResultPanel {
    ResultPanel.current?.dispose();
    panel.title = runTitle(run);
    ResultPanel.current = new ResultPanel(adoptWebviewPanel(context.extensionUri, panel), context, run, host, file);
    return ResultPanel.current;
  }

  /** The run the panel shows and its file (for tests, through the extension's API). */
  static shown(): { run: SavedRun; file?: string } | undefined {
    const p = ResultPanel.current;
    return p && { run: p.run, file: p.file };
  }

  private constructor(panel: vscode.WebviewPanel, private readonly context: vscode.ExtensionContext, private run: SavedRun, private host: PanelHost, private file: string | undefined) {
    super(panel, context.extensionUri, 'result');
  }

  private update(run: SavedRun, host: PanelHost, file: string | undefined): void {
    this.run = run;
    this.host = host;
    this.file = file;
    this.panel.title = runTitle(run);
    this.panel.reveal(undefined, true);
    this.send();
  }

  protected dataMessage(): HostToWebviewMessage {
    return { type: 'run/show', run: this.run, theme: themeHints(), title: runTitle(this.run), file: this.file };
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
