/** The attention-pattern panel (one, reused): head thumbnails, the chosen head large, tokens. */
import * as vscode from 'vscode';
import { UserError } from '../../engine/errors';
import type { AttentionResult } from '../../protocol/results';
import type { HostToWebviewMessage, ScoreOpenMessage, WebviewToHostMessage } from '../../protocol/webview';
import { adoptWebviewPanel, BasePanel, createWebviewPanel, themeHints } from './basePanel';

export interface AttentionShowOptions {
  prompt?: string;
  focus?: { layer: number; head: number };
}

/** The cell of a pattern whose score to split: head `layer`.`head`, from query to key. */
export type ScoreCell = Omit<ScoreOpenMessage, 'type'>;

/**
 * Splits the attention score of one cell of a shown pattern over the upstream components
 * (Attention Score Attribution, key side) on the panel's prompt; returns the command's
 * outcome, or undefined when the panel does not know its prompt (a warning says so).
 * Used by the panel's `score/open` handler and by the extension tests.
 */
export async function openScoreSplit(view: { result: AttentionResult; prompt?: string }, cell: ScoreCell): Promise<unknown> {
  const { layer, head, query, key } = cell;
  const T = view.result.dims[view.result.dims.length - 1];
  if (!view.result.layers.includes(layer) || !view.result.heads.includes(head)) {
    throw new UserError(`score split: head ${layer}.${head} is not shown in this attention panel`);
  }
  if (!(Number.isInteger(query) && Number.isInteger(key) && key >= 0 && key <= query && query < T)) {
    throw new UserError(`score split: query ${query} and key ${key} must be positions with key ≤ query < ${T}`);
  }
  if (view.prompt === undefined) {
    void vscode.window.showWarningMessage('Circuit Explorer: this attention panel does not know its prompt; run Attention Score Attribution from the command palette.');
    return undefined;
  }
  return vscode.commands.executeCommand('circuitExplorer.scoreAttribution', { prompt: view.prompt, head: `${layer}.${head}`, side: 'key', key, query });
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

  protected override async onMessage(m: WebviewToHostMessage): Promise<void> {
    if (m.type !== 'score/open') return;
    await openScoreSplit({ result: this.result, prompt: this.opts.prompt }, m);
  }

  override dispose(): void {
    if (AttentionPanel.current === this) AttentionPanel.current = undefined;
    super.dispose();
  }
}
