/** Circuit Explorer: Ablate Heads — per-token loss change when heads are zero/mean/resample-ablated. */
import type { CommandModule } from '../services';
import { resolvePrompt, type PromptArgs } from '../promptInput';
import { runAndShow } from '../runAndShow';
import { argsOf, parseHeads } from './args';
import { askHeads, pickOne } from './ask';

type Mode = 'zero' | 'mean' | 'resample';

export const ablateHeads: CommandModule = {
  id: 'circuitExplorer.ablateHeads',
  async run(s, raw) {
    const a = argsOf<PromptArgs & { heads: string | string[]; mode: Mode; text: string; textFile: string }>(raw);
    let heads = a.heads;
    if (heads === undefined) {
      heads = await askHeads('Ablate Heads', 'Heads as layer.head, comma-separated (e.g. 0.0,1.3)');
      if (heads === undefined) return undefined;
    }
    const list = parseHeads(heads);
    let mode = a.mode;
    if (!mode) {
      mode = await pickOne<Mode>('Ablate Heads: how', [
        { label: 'zero', description: 'set the heads\' outputs (hook_z) to zero' },
        { label: 'mean', description: 'replace them by their mean over the text' },
        { label: 'resample', description: 'replace them by their value on another position' },
      ]);
      if (!mode) return undefined;
    }
    const title = `ablate ${list.join(',')} (${mode})`;
    // A text (or text file) is a set of documents for the loss; otherwise one prompt.
    if (a.text !== undefined || a.textFile !== undefined) return runAndShow(s, { op: 'ablate', heads: list, mode, text: a.text, textFile: a.textFile }, title);
    const entry = await resolvePrompt(s.session, a, 'Ablate Heads');
    if (!entry?.clean) return undefined;
    return runAndShow(s, { op: 'ablate', heads: list, mode, prompt: entry.clean }, title);
  },
};
