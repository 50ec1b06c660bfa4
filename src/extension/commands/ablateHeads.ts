/** Circuit Explorer: Ablate Heads — per-token loss change when heads are zero/mean/resample-ablated. */
import * as vscode from 'vscode';
import type { CommandModule } from '../services';
import { resolvePrompt, type PromptArgs } from '../promptInput';
import { runAndShow } from '../runAndShow';
import { argsOf, parseHeads } from './args';

type Mode = 'zero' | 'mean' | 'resample';

export const ablateHeads: CommandModule = {
  id: 'circuitExplorer.ablateHeads',
  async run(s, raw) {
    const a = argsOf<PromptArgs & { heads: string | string[]; mode: Mode; text: string; textFile: string }>(raw);
    let heads = a.heads;
    if (heads === undefined) {
      heads = await vscode.window.showInputBox({
        title: 'Ablate Heads',
        prompt: 'Heads as layer.head, comma-separated (e.g. 0.0,1.3)',
        ignoreFocusOut: true,
        validateInput: (v) => {
          try {
            parseHeads(v);
            return undefined;
          } catch (err) {
            return (err as Error).message;
          }
        },
      });
      if (heads === undefined) return undefined;
    }
    const list = parseHeads(heads);
    let mode = a.mode;
    if (!mode) {
      const pick = await vscode.window.showQuickPick(
        [
          { label: 'zero', description: 'set the heads\' outputs (hook_z) to zero' },
          { label: 'mean', description: 'replace them by their mean over the text' },
          { label: 'resample', description: 'replace them by their value on another position' },
        ],
        { title: 'Ablate Heads: how' },
      );
      if (!pick) return undefined;
      mode = pick.label as Mode;
    }
    const title = `ablate ${list.join(',')} (${mode})`;
    // A text (or text file) is a set of documents for the loss; otherwise one prompt.
    if (a.text !== undefined || a.textFile !== undefined) return runAndShow(s, { op: 'ablate', heads: list, mode, text: a.text, textFile: a.textFile }, title);
    const entry = await resolvePrompt(s.session, a, 'Ablate Heads');
    if (!entry?.clean) return undefined;
    return runAndShow(s, { op: 'ablate', heads: list, mode, prompt: entry.clean }, title);
  },
};
