/** Circuit Explorer: Logit Lens — the prediction after each layer at one position. */
import type { CommandModule } from '../services';
import { resolvePrompt, type PromptArgs } from '../promptInput';
import { runAndShow } from '../runAndShow';
import { argsOf } from './args';

export const logitLens: CommandModule = {
  id: 'circuitExplorer.logitLens',
  async run(s, raw) {
    const a = argsOf<PromptArgs & { pos: number; tokens: string[]; mode: 'own-scale' | 'final-scale' }>(raw);
    const entry = await resolvePrompt(s.session, a, 'Logit Lens');
    if (!entry?.clean) return undefined;
    const tokens = a.tokens ?? [entry.answer, entry.wrong].filter((t): t is string => t !== undefined);
    return runAndShow(s, { op: 'logit-lens', prompt: entry.clean, pos: a.pos ?? -1, tokens, mode: a.mode, topK: 10 }, 'logit lens');
  },
};
