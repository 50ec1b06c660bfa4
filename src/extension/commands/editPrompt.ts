/** Prompt Sets → Edit Prompt: replaces one prompt in place, the rest of the file untouched. */
import { readFile } from 'node:fs/promises';
import type { CommandModule } from '../services';
import { parsePromptSet, replacePromptEdit, type PromptEntry } from '../promptSetFile';
import { UserError } from '../../engine/errors';
import { argsOf } from './args';
import { applyPromptSetEdit, askEntry } from './editPromptSet';

export const editPrompt: CommandModule = {
  id: 'circuitExplorer.editPrompt',
  async run(s, raw) {
    const a = argsOf<{ specFile: string; promptIndex: number; entry: PromptEntry }>(raw);
    if (!a.specFile || a.promptIndex === undefined) throw new UserError('Edit Prompt needs a prompt: use it from the Prompt Sets view');
    const old = parsePromptSet(await readFile(a.specFile, 'utf8'), a.specFile).prompts[a.promptIndex];
    if (!old) throw new UserError(`${a.specFile} has no prompt ${a.promptIndex}`);
    const entry = a.entry ?? (await askEntry(s.session, 'Edit Prompt', old));
    if (!entry) return undefined;
    await applyPromptSetEdit(a.specFile, (text) => replacePromptEdit(text, a.promptIndex!, entry, a.specFile));
    return true;
  },
};
