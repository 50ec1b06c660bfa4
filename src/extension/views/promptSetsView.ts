/**
 * Sidebar "Prompt Sets": every `**\/*.circuit.json` of the workspace (kept fresh by a file
 * watcher) → its prompts → their tokens (on the loaded model). Nodes carry `specFile` and
 * `promptIndex`, so a node passed to a command from the context menu is a valid PromptArgs.
 */
import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { PromptSetFile } from '../../protocol/ops';
import { displayToken } from '../../protocol/tokens';
import type { EngineSession } from '../engineSession';
import { member, parseJsonTree } from '../jsonLocate';
import { parsePromptSet } from '../promptSetFile';

export type PromptSetNode =
  | { kind: 'set'; specFile: string; set?: PromptSetFile; error?: string }
  | { kind: 'prompt'; specFile: string; promptIndex: number; set: PromptSetFile }
  | { kind: 'token'; specFile: string; promptIndex: number; pos: number; token: string }
  | { kind: 'note'; specFile: string; text: string };

const EXCLUDE = '{**/node_modules/**,**/.circuits/**}';

export class PromptSetsView implements vscode.TreeDataProvider<PromptSetNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly session: EngineSession) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.circuit.json');
    const fire = () => this.changed.fire();
    this.subs.push(watcher, watcher.onDidChange(fire), watcher.onDidCreate(fire), watcher.onDidDelete(fire), session.onDidChangeModel(fire));
  }

  refresh(): void {
    this.changed.fire();
  }

  async getChildren(n?: PromptSetNode): Promise<PromptSetNode[]> {
    if (!n) return this.sets();
    if (n.kind === 'set') return n.set ? n.set.prompts.map((_, i) => ({ kind: 'prompt', specFile: n.specFile, promptIndex: i, set: n.set! })) : [];
    if (n.kind === 'prompt') return this.tokens(n);
    return [];
  }

  getTreeItem(n: PromptSetNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (n.kind) {
      case 'set': {
        const item = new vscode.TreeItem(n.set?.name ?? basename(n.specFile), n.set ? C.Collapsed : C.None);
        item.description = n.error ? `⚠ ${n.error}` : `${n.set!.prompts.length} prompts · ${vscode.workspace.asRelativePath(n.specFile)}`;
        item.tooltip = n.error ?? n.specFile;
        item.contextValue = 'circuitPromptSet';
        item.iconPath = new vscode.ThemeIcon(n.error ? 'warning' : 'list-unordered');
        item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(n.specFile)] };
        return item;
      }
      case 'prompt': {
        const p = n.set.prompts[n.promptIndex];
        const item = new vscode.TreeItem(p.clean, C.Collapsed);
        item.description = [p.answer && `→${displayToken(p.answer)}`, p.wrong && `vs ${displayToken(p.wrong)}`].filter(Boolean).join(' ');
        item.tooltip = new vscode.MarkdownString().appendText(`clean: ${p.clean}\n\ncorrupted: ${p.corrupted ?? '—'}\n\nanswer: ${p.answer ?? '—'} · wrong: ${p.wrong ?? '—'}`);
        item.contextValue = 'circuitPrompt';
        item.iconPath = new vscode.ThemeIcon('comment');
        item.command = { command: 'circuitExplorer.revealPrompt', title: 'Show in file', arguments: [{ specFile: n.specFile, promptIndex: n.promptIndex }] };
        return item;
      }
      case 'token': {
        const item = new vscode.TreeItem(`${n.pos}  ${displayToken(n.token)}`);
        item.contextValue = 'circuitToken';
        return item;
      }
      case 'note':
        return new vscode.TreeItem(n.text);
    }
  }

  private async sets(): Promise<PromptSetNode[]> {
    const uris = await vscode.workspace.findFiles('**/*.circuit.json', EXCLUDE, 500);
    uris.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
    return Promise.all(
      uris.map(async (u): Promise<PromptSetNode> => {
        try {
          const text = await readFile(u.fsPath, 'utf8');
          return { kind: 'set', specFile: u.fsPath, set: parsePromptSet(text, basename(u.fsPath)) };
        } catch (err) {
          return { kind: 'set', specFile: u.fsPath, error: (err as Error).message.split('\n')[0] };
        }
      }),
    );
  }

  private async tokens(n: Extract<PromptSetNode, { kind: 'prompt' }>): Promise<PromptSetNode[]> {
    if (!this.session.model) return [{ kind: 'note', specFile: n.specFile, text: 'load a model to see the tokens' }];
    try {
      const r = await this.session.runQuiet({ op: 'tokenize', text: n.set.prompts[n.promptIndex].clean, prependBos: n.set.prependBos ?? true });
      return r.strTokens.map((token, pos) => ({ kind: 'token', specFile: n.specFile, promptIndex: n.promptIndex, pos, token }));
    } catch (err) {
      return [{ kind: 'note', specFile: n.specFile, text: (err as Error).message.split('\n')[0] }];
    }
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.changed.dispose();
  }
}

/** The source range of prompt `index` in a prompt-set document, for "show in file". */
export function promptRange(doc: vscode.TextDocument, index: number): vscode.Range | undefined {
  try {
    const p = member(parseJsonTree(doc.getText()), 'prompts')?.children?.[index];
    return p && new vscode.Range(doc.positionAt(p.offset), doc.positionAt(p.offset + p.length));
  } catch {
    return undefined;
  }
}
