/** The small prompts several commands share: a list of heads, one choice of a few. */
import * as vscode from 'vscode';
import { parseHeads, parseOneHead } from './args';

/** Heads typed as "L.H, …" (exactly one when `single`), validated as the user types; undefined when dismissed. */
export function askHeads(title: string, prompt: string, what = 'head', single = false): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    title,
    prompt,
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        if (single) parseOneHead(v, what);
        else parseHeads(v, what);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
  });
}

/** One of a few labelled choices; undefined when dismissed. */
export async function pickOne<T extends string>(title: string, items: readonly { label: T; description: string }[]): Promise<T | undefined> {
  const pick = await vscode.window.showQuickPick(items.map((i) => ({ ...i })), { title });
  return pick?.label as T | undefined;
}
