/** Prompt Sets → click a prompt: opens the file with that prompt selected. */
import * as vscode from 'vscode';
import type { CommandModule } from '../services';
import { promptRange } from '../views/promptSetsView';
import { argsOf } from './args';

export const revealPrompt: CommandModule = {
  id: 'circuitExplorer.revealPrompt',
  async run(_s, raw) {
    const a = argsOf<{ specFile: string; promptIndex: number }>(raw);
    if (!a.specFile) return undefined;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(a.specFile));
    const range = promptRange(doc, a.promptIndex ?? 0);
    await vscode.window.showTextDocument(doc, { selection: range, preserveFocus: false });
    return true;
  },
};
