/** Circuit Explorer: Show Attention Patterns — every head's pattern on the selected prompt. */
import type { CommandModule } from '../services';
import { resolvePrompt, type PromptArgs } from '../promptInput';
import { runAndShow } from '../runAndShow';
import { argsOf } from './args';

export const showAttention: CommandModule = {
  id: 'circuitExplorer.showAttention',
  async run(s, raw) {
    const a = argsOf<PromptArgs & { layers: number[]; heads: number[] }>(raw);
    const entry = await resolvePrompt(s.session, a, 'Show Attention Patterns');
    if (!entry?.clean) return undefined;
    return runAndShow(s, { op: 'attention', prompt: entry.clean, layers: a.layers, heads: a.heads }, 'attention patterns');
  },
};
