/**
 * Where a command's prompt comes from (explicit args, a prompt-set tree node, the prompt
 * under the cursor in a `*.circuit.json`, the editor selection, or an input box) and the
 * input boxes that preview the tokenization as the user types:
 * `<|endoftext|>|When|·John…`, warning on multi-token answers and on a corrupted prompt
 * whose length differs from the clean one.
 */
import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import type { PromptSetFile } from '../protocol/ops';
import { displayToken } from '../protocol/tokens';
import { UserError } from '../engine/errors';
import type { EngineSession } from './engineSession';
import { member, parseJsonTree } from './jsonLocate';
import { parsePromptSet, type PromptEntry } from './promptSetFile';

/** What commands accept to skip their UI; tree nodes carry `specFile` and `promptIndex` too. */
export interface PromptArgs {
  prompt?: string;
  clean?: string;
  corrupted?: string;
  answer?: string;
  wrong?: string;
  spec?: PromptSetFile;
  specFile?: string;
  promptIndex?: number;
}

const PREVIEW_CHARS = 160;

/** `<|endoftext|>|When|·John…` — tokens with visible whitespace, cut to fit a message line. */
export function tokenPreview(strTokens: readonly string[]): string {
  const s = strTokens.map(displayToken).join('|');
  return s.length > PREVIEW_CHARS ? s.slice(0, PREVIEW_CHARS - 1) + '…' : s;
}

export function isPromptSetDocument(doc: vscode.TextDocument | undefined): boolean {
  return doc !== undefined && doc.uri.path.endsWith('.circuit.json');
}

async function readSpecFile(file: string): Promise<PromptSetFile> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  let text: string;
  try {
    text = open ? open.getText() : await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read prompt set ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parsePromptSet(text, file);
}

/** The prompt entry whose object holds the cursor in a `*.circuit.json` editor. */
function entryAtCursor(editor: vscode.TextEditor | undefined): PromptEntry | undefined {
  if (!editor || !isPromptSetDocument(editor.document)) return undefined;
  try {
    const text = editor.document.getText();
    const offset = editor.document.offsetAt(editor.selection.active);
    const items = member(parseJsonTree(text), 'prompts')?.children ?? [];
    const index = items.findIndex((p) => offset >= p.offset && offset <= p.offset + p.length);
    return index < 0 ? undefined : parsePromptSet(text, editor.document.uri.fsPath).prompts[index];
  } catch {
    return undefined;
  }
}

/** One prompt entry from args, a tree node, the cursor in a prompt set, or the selection. */
export async function pickEntry(args: PromptArgs | undefined): Promise<Partial<PromptEntry> | undefined> {
  if (args?.prompt !== undefined || args?.clean !== undefined) {
    return { clean: args.prompt ?? args.clean, corrupted: args.corrupted, answer: args.answer, wrong: args.wrong };
  }
  if (args?.spec || args?.specFile) {
    const spec = args.spec ?? (await readSpecFile(args.specFile!));
    const entry = spec.prompts[args.promptIndex ?? 0];
    if (!entry) throw new UserError(`the prompt set has no prompt ${args.promptIndex}`);
    return entry;
  }
  const editor = vscode.window.activeTextEditor;
  const atCursor = entryAtCursor(editor);
  if (atCursor) return atCursor;
  if (editor && !editor.selection.isEmpty) return { clean: editor.document.getText(editor.selection).replace(/^[\r\n]+|[\r\n]+$/g, '') };
  return undefined;
}

export interface AskOptions {
  title: string;
  prompt: string;
  value?: string;
  placeHolder?: string;
  prependBos?: boolean;
  /** An answer token: warn when the text is several tokens. */
  singleToken?: boolean;
  /** Token count of the clean prompt: warn when this one differs (corrupted prompts). */
  expectLength?: number;
}

/** An input box whose validation message previews the tokenization on the loaded model. */
export async function askWithTokens(session: EngineSession, o: AskOptions): Promise<string | undefined> {
  await session.ensureModel();
  return vscode.window.showInputBox({
    title: o.title,
    prompt: o.prompt,
    value: o.value,
    placeHolder: o.placeHolder,
    ignoreFocusOut: true,
    validateInput: async (text) => {
      if (text.length === 0) return { message: 'enter some text', severity: vscode.InputBoxValidationSeverity.Error };
      try {
        const prependBos = o.singleToken ? false : (o.prependBos ?? true);
        const r = await session.runQuiet({ op: 'tokenize', text, prependBos });
        const preview = tokenPreview(r.strTokens);
        if (o.singleToken && r.tokens.length > 1) {
          return { message: `${r.tokens.length} tokens: ${preview} — the first, "${displayToken(r.strTokens[0])}", is used`, severity: vscode.InputBoxValidationSeverity.Warning };
        }
        if (o.expectLength !== undefined && r.tokens.length !== o.expectLength) {
          return { message: `${r.tokens.length} tokens, the clean prompt has ${o.expectLength}: ${preview}`, severity: vscode.InputBoxValidationSeverity.Warning };
        }
        return { message: `${r.tokens.length} tokens: ${preview}`, severity: vscode.InputBoxValidationSeverity.Info };
      } catch {
        return undefined;
      }
    },
  });
}

/** The clean prompt for a one-prompt command, asking when nothing gives one. Undefined: the user gave up. */
export async function resolvePrompt(session: EngineSession, args: PromptArgs | undefined, title: string): Promise<Partial<PromptEntry> | undefined> {
  const entry = await pickEntry(args);
  if (entry?.clean) return entry;
  const clean = await askWithTokens(session, { title, prompt: 'Prompt (tip: select a prompt in an editor first)', placeHolder: 'When John and Mary went to the shops, John gave the bag to' });
  return clean === undefined ? undefined : { clean };
}

/** An answer token, asked for when missing. */
export async function resolveAnswer(session: EngineSession, given: string | undefined, title: string, what = 'Answer token (mind the leading space)', value = ' '): Promise<string | undefined> {
  if (given !== undefined) return given;
  return askWithTokens(session, { title, prompt: what, value, singleToken: true });
}

/**
 * The prompt set for a set-level command: args.spec/specFile (or a tree node), the active
 * `*.circuit.json` editor, or the selected prompt completed by asking for the corrupted
 * prompt, the answer and the wrong token.
 */
export async function resolveSpec(session: EngineSession, args: PromptArgs | undefined, title: string): Promise<{ spec: PromptSetFile; source: string } | undefined> {
  if (args?.spec) return { spec: args.spec, source: 'arguments' };
  if (args?.specFile && args.promptIndex === undefined) return { spec: await readSpecFile(args.specFile), source: args.specFile };
  if (args?.specFile) {
    const set = await readSpecFile(args.specFile);
    const entry = set.prompts[args.promptIndex!];
    if (!entry) throw new UserError(`${args.specFile} has no prompt ${args.promptIndex}`);
    return { spec: { ...set, prompts: [entry] }, source: `${args.specFile}#${args.promptIndex}` };
  }
  const editor = vscode.window.activeTextEditor;
  if (args?.prompt === undefined && args?.clean === undefined && editor && isPromptSetDocument(editor.document)) {
    // The whole set, or only the prompt the selection is in (with the file's settings).
    const set = parsePromptSet(editor.document.getText(), editor.document.uri.fsPath);
    const one = editor.selection.isEmpty ? undefined : entryAtCursor(editor);
    return { spec: one ? { ...set, prompts: [one] } : set, source: editor.document.uri.fsPath };
  }
  const entry = await resolvePrompt(session, args, title);
  if (!entry?.clean) return undefined;
  const clean = entry.clean;
  const cleanLen = (await session.runQuiet({ op: 'tokenize', text: clean })).tokens.length;
  const corrupted = entry.corrupted ?? (await askWithTokens(session, { title, prompt: 'Corrupted prompt (same number of tokens)', value: clean, expectLength: cleanLen }));
  if (corrupted === undefined) return undefined;
  const answer = await resolveAnswer(session, entry.answer, title, 'Answer token (the clean prompt\'s correct next token)');
  if (answer === undefined) return undefined;
  const wrong = await resolveAnswer(session, entry.wrong, title, 'Wrong token (the corrupted prompt\'s answer)');
  if (wrong === undefined) return undefined;
  return { spec: { answerToken: 'first', prompts: [{ clean, corrupted, answer, wrong }] }, source: 'selection' };
}
