/**
 * What the result and attention panels share: the webview options (scripts on, only
 * media/ readable), the CSP'd HTML, the typed message loop, re-sending the data when the
 * webview (re)loads or the theme changes, and saving exported figures.
 */
import * as vscode from 'vscode';
import type { ExportFormat, ExportSaveMessage, HostToWebviewMessage, ThemeHints, WebviewToHostMessage } from '../../protocol/webview';
import { isExportSaveMessage, isHeadOpenMessage, isScoreOpenMessage, isWebviewReadyMessage } from '../../protocol/webview';
import { Disposable } from './disposable';
import { buildPanelHtml, makeNonce } from './html';

export type WebviewApp = 'result' | 'attention';

const FILTERS: Record<ExportFormat, Record<string, string[]>> = {
  png: { 'PNG image': ['png'] },
  svg: { 'SVG image': ['svg'] },
  csv: { 'CSV table': ['csv'] },
  json: { JSON: ['json'] },
};

export function themeHints(): ThemeHints {
  const k = vscode.window.activeColorTheme.kind;
  const kind = k === vscode.ColorThemeKind.Light ? 'light'
    : k === vscode.ColorThemeKind.HighContrast ? 'high-contrast'
    : k === vscode.ColorThemeKind.HighContrastLight ? 'high-contrast-light' : 'dark';
  return { kind };
}

/** Scripts on; the webview may read nothing but the bundled apps and stylesheet. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')] };
}

export function createWebviewPanel(extensionUri: vscode.Uri, viewType: string, title: string): vscode.WebviewPanel {
  return vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Beside, webviewOptions(extensionUri));
}

/** A panel VS Code restored after a reload: it keeps its place, but its options are set again (they are not saved). */
export function adoptWebviewPanel(extensionUri: vscode.Uri, panel: vscode.WebviewPanel): vscode.WebviewPanel {
  panel.webview.options = webviewOptions(extensionUri);
  return panel;
}

export abstract class BasePanel extends Disposable {
  /** The panel the user looked at last: "Export figure" acts on it. */
  private static lastActive: BasePanel | undefined;

  static get active(): BasePanel | undefined {
    return BasePanel.lastActive;
  }

  protected constructor(
    protected readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly app: WebviewApp,
  ) {
    super();
    BasePanel.lastActive = this;
    this._register(panel);
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)));
    this._register(panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) BasePanel.lastActive = this;
    }));
    this._register(vscode.window.onDidChangeActiveColorTheme(() => this.send()));
    this.render();
  }

  override dispose(): void {
    if (BasePanel.lastActive === this) BasePanel.lastActive = undefined;
    super.dispose();
  }

  /** The message that draws the panel's current data. */
  protected abstract dataMessage(): HostToWebviewMessage | undefined;

  /** Head clicks, score splits; the base handles ready and export. */
  protected onMessage(_m: WebviewToHostMessage): Promise<void> | void {}

  protected render(): void {
    const webview = this.panel.webview;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    webview.html = buildPanelHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, `${this.app}.js`)).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'panels.css')).toString(),
      title: this.panel.title,
    });
  }

  /** Sends the data; the webview also asks for it with webview/ready after a reload. */
  protected send(): void {
    const m = this.dataMessage();
    if (m && !this.isDisposed) void this.panel.webview.postMessage(m);
  }

  requestExport(format: ExportFormat): void {
    void this.panel.webview.postMessage({ type: 'export/request', format } satisfies HostToWebviewMessage);
  }

  private async receive(m: unknown): Promise<void> {
    try {
      if (isWebviewReadyMessage(m)) this.send();
      else if (isExportSaveMessage(m)) await saveExport(m);
      else if (isHeadOpenMessage(m) || isScoreOpenMessage(m)) await this.onMessage(m);
    } catch (e) {
      void vscode.window.showErrorMessage(`Circuit Explorer: ${(e as Error).message}`);
    }
  }
}

/** Asks where to save an exported figure and writes it (PNG arrives base64). */
export async function saveExport(m: ExportSaveMessage): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = m.suggestedName.replace(/[\\/:*?"<>|]/g, '-');
  const uri = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
    filters: FILTERS[m.format],
    saveLabel: `Export ${m.format.toUpperCase()}`,
  });
  if (!uri) return;
  const bytes = m.format === 'png' ? Buffer.from(m.data, 'base64') : Buffer.from(m.data, 'utf8');
  await vscode.workspace.fs.writeFile(uri, bytes);
  void vscode.window.showInformationMessage(`Saved ${uri.fsPath}`);
}
