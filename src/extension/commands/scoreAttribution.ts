/**
 * Circuit Explorer: Attention Score Attribution — which upstream components make head L.H
 * attend from a query position to a key position: its score split over the pieces of the
 * key-side (queries fixed) or query-side (keys fixed) residual stream.
 *
 * On a prompt set (a tree node, a `*.circuit.json` editor, `spec`/`specFile`) the positions
 * are resolved in each prompt and the pieces averaged; the key defaults to each prompt's
 * answer token. On one prompt (`prompt`, the selection, an input box) the key is one of its
 * tokens. The query is asked for after the key (the last token first); when the arguments
 * give the key, it is the last token unless they say otherwise.
 */
import * as vscode from 'vscode';
import { UserError } from '../../engine/errors';
import type { OpRequest, PromptSetFile } from '../../protocol/ops';
import { displayToken } from '../../protocol/tokens';
import { isPromptSetDocument, resolvePrompt, resolveSpec, type PromptArgs } from '../promptInput';
import { runAndShow } from '../runAndShow';
import type { CommandModule, Services } from '../services';
import { argsOf, parseOneHead } from './args';
import { askHeads, pickOne } from './ask';

const TITLE = 'Attention Score Attribution';

type Side = 'key' | 'query';
type Position = number | string;

export interface ScoreAttributionArgs extends PromptArgs {
  /** The head, "layer.head". */
  head: string;
  side: Side;
  /** An index (negative from the end), a token string (first occurrence), or "answer"/"wrong" on a set. */
  key: Position;
  query: Position;
}

const SIDES = [
  { label: 'Key side (queries fixed)', description: 'which components of the key position\'s residual draw the head\'s attention' },
  { label: 'Query side (keys fixed)', description: 'which components of the query position\'s residual make it look for the key' },
] as const;

interface PositionItem extends vscode.QuickPickItem { value: Position }

/** One position from a quick pick; the first item is the default. Undefined: dismissed. */
async function pickPosition(title: string, placeHolder: string, items: PositionItem[]): Promise<Position | undefined> {
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true, ignoreFocusOut: true });
  return pick?.value;
}

function tokenItems(strTokens: readonly string[], from: number, onSet: boolean): PositionItem[] {
  const items: PositionItem[] = [];
  for (let i = from; i < strTokens.length; i++) {
    items.push({ label: `${i}: ${displayToken(strTokens[i])}`, description: onSet ? 'this position in every prompt' : undefined, value: i });
  }
  return items;
}

/** The request's source: a prompt set, or one prompt (with the tokens to pick positions from). */
async function resolveSource(s: Services, a: Partial<ScoreAttributionArgs>): Promise<{ spec?: PromptSetFile; prompt?: string } | undefined> {
  const editor = vscode.window.activeTextEditor;
  const givenPrompt = a.prompt !== undefined || a.clean !== undefined;
  const onSet = a.spec !== undefined || a.specFile !== undefined || (!givenPrompt && isPromptSetDocument(editor?.document));
  if (onSet) {
    const got = await resolveSpec(s.session, a, TITLE);
    return got && { spec: got.spec };
  }
  const entry = await resolvePrompt(s.session, a, TITLE);
  return entry?.clean ? { prompt: entry.clean } : undefined;
}

export const scoreAttribution: CommandModule = {
  id: 'circuitExplorer.scoreAttribution',
  async run(s, raw) {
    const a = argsOf<ScoreAttributionArgs>(raw);
    const source = await resolveSource(s, a);
    if (!source) return undefined;
    const onSet = source.spec !== undefined;

    const headText = a.head ?? (await askHeads(TITLE, 'The head whose attention score to split, layer.head (e.g. 2.1)', 'head', true));
    if (headText === undefined) return undefined;
    const head = parseOneHead(headText);

    let side = a.side;
    if (side === undefined) {
      const label = await pickOne(`${TITLE}: which side`, SIDES);
      if (label === undefined) return undefined;
      side = label === SIDES[0].label ? 'key' : 'query';
    }

    // The positions are picked from the (first) prompt's tokens, as the model splits them.
    // A key given without a query (tests, other commands) means the last token, unasked.
    let key = a.key;
    let query = a.query ?? (key !== undefined ? -1 : undefined);
    if (key === undefined || query === undefined) {
      const first = source.spec ? source.spec.prompts[0]?.clean : source.prompt;
      if (first === undefined) throw new UserError('the prompt set has no prompts');
      await s.session.ensureModel(source.spec?.model);
      const { strTokens } = await s.session.runQuiet({ op: 'tokenize', text: first, prependBos: source.spec?.prependBos ?? true });
      const T = strTokens.length;
      const shown = onSet ? 'the first prompt\'s tokens' : 'the prompt\'s tokens';
      if (key === undefined) {
        const answers: PositionItem[] = onSet
          ? [
              { label: 'each prompt\'s answer token', description: 'where it first occurs in the prompt (the IO name in IOI)', value: 'answer' },
              { label: 'each prompt\'s wrong token', description: 'where it first occurs in the prompt (the S name in IOI)', value: 'wrong' },
            ]
          : [];
        key = await pickPosition(`${TITLE}: key position (attended to)`, `The key position: ${shown}`, [...answers, ...tokenItems(strTokens, 0, onSet)]);
        if (key === undefined) return undefined;
      }
      if (query === undefined) {
        const from = typeof key === 'number' ? (key < 0 ? T + key : key) : 0;
        const last: PositionItem = { label: 'the last token', description: `${T - 1}: ${displayToken(strTokens[T - 1])}${onSet ? ' in the first prompt; each prompt\'s own last token' : ''}`, value: -1 };
        query = await pickPosition(`${TITLE}: query position (attending)`, `The query position: ${shown}`, [last, ...tokenItems(strTokens, Math.max(0, from), onSet)]);
        if (query === undefined) return undefined;
      }
    }

    const req: Extract<OpRequest, { op: 'score-attribution' }> = { op: 'score-attribution', head, side, key, query, ...source };
    return runAndShow(s, req, `attention score attribution of ${head} (${side} side)`);
  },
};
