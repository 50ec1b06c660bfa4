/** Prompt Sets → Add Prompt: appends a prompt to the set's JSON, keeping its layout. */
import type { CommandModule } from '../services';
import { appendPromptEdit, type PromptEntry } from '../promptSetFile';
import { UserError } from '../../engine/errors';
import { argsOf } from './args';
import { applyPromptSetEdit, askEntry } from './editPromptSet';

export const addPrompt: CommandModule = {
  id: 'circuitExplorer.addPrompt',
  async run(s, raw) {
    const a = argsOf<{ specFile: string; entry: PromptEntry }>(raw);
    if (!a.specFile) throw new UserError('Add Prompt needs a prompt set: use it from the Prompt Sets view');
    const entry = a.entry ?? (await askEntry(s.session, 'Add Prompt'));
    if (!entry) return undefined;
    await applyPromptSetEdit(a.specFile, (text) => appendPromptEdit(text, entry, a.specFile));
    return true;
  },
};
