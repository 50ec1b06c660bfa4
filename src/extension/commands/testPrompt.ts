/** Circuit Explorer: Test Prompt — top predictions and the answer's rank (TransformerLens `test_prompt`). */
import type { CommandModule } from '../services';
import { resolveAnswer, resolvePrompt, type PromptArgs } from '../promptInput';
import { runAndShow } from '../runAndShow';
import { argsOf } from './args';

const TITLE = 'Test Prompt';

export const testPrompt: CommandModule = {
  id: 'circuitExplorer.testPrompt',
  async run(s, raw) {
    const a = argsOf<PromptArgs & { topK: number }>(raw);
    const entry = await resolvePrompt(s.session, a, TITLE);
    if (!entry?.clean) return undefined;
    const answer = await resolveAnswer(s.session, a.answer ?? entry.answer, TITLE);
    if (answer === undefined) return undefined;
    return runAndShow(s, { op: 'test-prompt', prompt: entry.clean, answer, topK: a.topK ?? 10 }, `test prompt`);
  },
};
