/** Shared by Add/Edit/Remove Prompt: apply one TextEdit to a prompt-set file through a WorkspaceEdit (undoable). */
import * as vscode from 'vscode';
import type { PromptEntry, TextEdit } from '../promptSetFile';
import type { EngineSession } from '../engineSession';
import { askWithTokens } from '../promptInput';

export async function applyPromptSetEdit(file: string, make: (text: string) => TextEdit): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const e = make(doc.getText());
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.text);
  await vscode.workspace.applyEdit(edit);
  await doc.save();
}

/** Asks for each field of a prompt, prefilled from `old`; undefined when the user gives up. */
export async function askEntry(session: EngineSession, title: string, old?: PromptEntry): Promise<PromptEntry | undefined> {
  const clean = await askWithTokens(session, { title, prompt: 'Clean prompt', value: old?.clean });
  if (clean === undefined) return undefined;
  const cleanLen = (await session.runQuiet({ op: 'tokenize', text: clean })).tokens.length;
  const corrupted = await askWithTokens(session, { title, prompt: 'Corrupted prompt (same number of tokens; Escape to leave out)', value: old?.corrupted ?? clean, expectLength: cleanLen });
  const answer = await askWithTokens(session, { title, prompt: 'Answer token (mind the leading space)', value: old?.answer ?? ' ', singleToken: true });
  if (answer === undefined) return undefined;
  const wrong = await askWithTokens(session, { title, prompt: 'Wrong token (Escape to leave out)', value: old?.wrong ?? ' ', singleToken: true });
  return { clean, corrupted, answer, wrong };
}
