/** Prompt Sets → Remove Prompt (asks first unless args say `confirm: false`). */
import * as vscode from 'vscode';
import type { CommandModule } from '../services';
import { removePromptEdit } from '../promptSetFile';
import { UserError } from '../../engine/errors';
import { argsOf } from './args';
import { applyPromptSetEdit } from './editPromptSet';

export const removePrompt: CommandModule = {
  id: 'circuitExplorer.removePrompt',
  async run(_s, raw) {
    const a = argsOf<{ specFile: string; promptIndex: number; confirm: boolean }>(raw);
    if (!a.specFile || a.promptIndex === undefined) throw new UserError('Remove Prompt needs a prompt: use it from the Prompt Sets view');
    if (a.confirm !== false) {
      const ok = await vscode.window.showWarningMessage(`Remove prompt ${a.promptIndex} from ${vscode.workspace.asRelativePath(a.specFile)}?`, { modal: true }, 'Remove');
      if (ok !== 'Remove') return undefined;
    }
    await applyPromptSetEdit(a.specFile, (text) => removePromptEdit(text, a.promptIndex!, a.specFile));
    return true;
  },
};
