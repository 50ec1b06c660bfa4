/** The attention-pattern panel (one, reused): head thumbnails, the chosen head large, tokens. */
import type * as vscode from 'vscode';
import type { AttentionResult } from '../../protocol/results';
import type { HostToWebviewMessage } from '../../protocol/webview';
import { adoptWebviewPanel, BasePanel, createWebviewPanel, themeHints } from './basePanel';

export interface AttentionShowOptions {
  prompt?: string;
  focus?: { layer: number; head: number };
}

export class AttentionPanel extends BasePanel {
  static readonly viewType = 'circuitExplorer.attention';
  private static current: AttentionPanel | undefined;

  static createOrShow(context: vscode.ExtensionContext, result: AttentionResult, opts: AttentionShowOptions = {}): AttentionPanel {
    const title = opts.focus ? `Attention L${opts.focus.layer}H${opts.focus.head}` : 'Attention patterns';
    if (AttentionPanel.current) {
      AttentionPanel.current.update(result, opts, title);
      return AttentionPanel.current;
    }
    const panel = createWebviewPanel(context.extensionUri, AttentionPanel.viewType, title);
    AttentionPanel.current = new AttentionPanel(panel, context.extensionUri, result, opts);
    return AttentionPanel.current;
  }

  /** Takes over a panel VS Code restored after a reload (the panel serializer). */
  static revive(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, result: AttentionResult, opts: AttentionShowOptions): AttentionPanel {
    AttentionPanel.current?.dispose();
    AttentionPanel.current = new AttentionPanel(adoptWebviewPanel(context.extensionUri, panel), context.extensionUri, result, opts);
    return AttentionPanel.current;
  }

  /** What the panel shows (for tests, through the extension's API). */
  static shown(): { result: AttentionResult } & AttentionShowOptions | undefined {
    const p = AttentionPanel.current;
    return p && { result: p.result, ...p.opts };
  }

  private constructor(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, private result: AttentionResult, private opts: AttentionShowOptions) {
    super(panel, extensionUri, 'attention');
  }

  private update(result: AttentionResult, opts: AttentionShowOptions, title: string): void {
    this.result = result;
    this.opts = opts;
    this.panel.title = title;
    this.panel.reveal(undefined, true);
    this.send();
  }

  protected dataMessage(): HostToWebviewMessage {
    return { type: 'attention/show', result: this.result, focus: this.opts.focus, prompt: this.opts.prompt, theme: themeHints() };
  }

  override dispose(): void {
    if (AttentionPanel.current === this) AttentionPanel.current = undefined;
    super.dispose();
  }
}
