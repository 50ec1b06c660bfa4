/** Circuit Explorer: Open Run — reopens a saved run's panel (Runs view click, or a quick pick). */
import * as vscode from 'vscode';
import type { CommandModule } from '../services';
import { showRun } from '../runAndShow';
import { describeRunFile } from '../views/runsView';
import { argsOf } from './args';

export const openRun: CommandModule = {
  id: 'circuitExplorer.openRun',
  async run(s, raw) {
    const a = argsOf<{ file: string }>(raw);
    let file = a.file ?? (raw instanceof vscode.Uri ? raw.fsPath : undefined);
    if (!file) {
      const files = await s.runs.list();
      if (files.length === 0) {
        void vscode.window.showInformationMessage('Circuit Explorer: no saved runs yet.');
        return undefined;
      }
      const pick = await vscode.window.showQuickPick(
        files.map((f) => ({ label: describeRunFile(f).kind, description: describeRunFile(f).when, file: f })),
        { title: 'Open Run' },
      );
      if (!pick) return undefined;
      file = pick.file;
    }
    const run = await s.runs.read(file);
    showRun(s, run, file);
    return { file, run };
  },
};
