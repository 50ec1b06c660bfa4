/**
 * Reading and editing `*.circuit.json` prompt sets (CONTRACTS §2) as text, so edits keep
 * the file's own layout: one prompt is inserted, replaced or removed and nothing else moves.
 * No vscode import.
 */
import type { PromptSetFile } from '../protocol/ops';
import { UserError } from '../engine/errors';
import { member, parseJsonTree, type JsonNode } from './jsonLocate';

export type PromptEntry = PromptSetFile['prompts'][number];

export function parsePromptSet(text: string, name: string): PromptSetFile {
  let root: JsonNode;
  try {
    root = parseJsonTree(text);
  } catch (err) {
    throw new UserError(`${name}: ${(err as Error).message}`);
  }
  const v = root.value as Partial<PromptSetFile>;
  if (root.type !== 'object' || !Array.isArray(v.prompts)) throw new UserError(`${name}: a prompt set is an object with a "prompts" array`);
  v.prompts.forEach((p, i) => {
    if (typeof p !== 'object' || p === null || typeof p.clean !== 'string') throw new UserError(`${name}: prompts[${i}] needs a "clean" string`);
    for (const f of ['corrupted', 'answer', 'wrong'] as const) {
      if (p[f] !== undefined && typeof p[f] !== 'string') throw new UserError(`${name}: prompts[${i}].${f} must be a string`);
    }
  });
  return v as PromptSetFile;
}

export interface TextEdit { offset: number; length: number; text: string }

/** The `prompts` array node; `name` (the file) heads every error so the user knows which file is broken. */
function promptsArray(text: string, name: string): JsonNode {
  let root: JsonNode;
  try {
    root = parseJsonTree(text);
  } catch (err) {
    throw new UserError(`${name}: ${(err as Error).message}`);
  }
  const arr = member(root, 'prompts');
  if (arr?.type !== 'array') throw new UserError(`${name}: a prompt set is an object with a "prompts" array`);
  return arr;
}

/** The file's own line ending, so an inserted prompt does not mix LF into a CRLF file. */
function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset))![0];
}

/** Serialises a prompt the way the file's existing prompts look (one line, or one field per line). */
function formatLike(text: string, arr: JsonNode, entry: PromptEntry): { body: string; indent: string } {
  const sample = arr.children![0];
  const arrIndent = lineIndent(text, arr.offset);
  if (!sample) return { body: JSON.stringify(entry).replace(/","/g, '", "').replace(/":"/g, '": "'), indent: arrIndent + '  ' };
  const indent = lineIndent(text, sample.offset);
  const sampleText = text.slice(sample.offset, sample.offset + sample.length);
  if (!sampleText.includes('\n')) {
    const spaced = /":\s/.test(sampleText);
    const compact = JSON.stringify(entry);
    return { body: spaced ? compact.replace(/","/g, '", "').replace(/":"/g, '": "').replace(/^\{/, '{ ').replace(/\}$/, ' }') : compact, indent };
  }
  const first = sample.children?.[0];
  const fieldIndent = first ? lineIndent(text, keyOffset(text, first)) : indent + '  ';
  const lines = Object.entries(entry).filter(([, v]) => v !== undefined).map(([k, v]) => `${fieldIndent}${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const eol = eolOf(text);
  return { body: `{${eol}${lines.join(`,${eol}`)}${eol}${indent}}`, indent };
}

/** Source offset of a member's key (the value node only knows where its value starts). */
function keyOffset(text: string, valueNode: JsonNode): number {
  const colon = text.lastIndexOf(':', valueNode.offset);
  return text.lastIndexOf('"', text.lastIndexOf('"', colon) - 1);
}

const DEFAULT_NAME = 'the prompt set';

export function appendPromptEdit(text: string, entry: PromptEntry, name = DEFAULT_NAME): TextEdit {
  const arr = promptsArray(text, name);
  const { body, indent } = formatLike(text, arr, entry);
  const eol = eolOf(text);
  const last = arr.children!.at(-1);
  if (!last) return { offset: arr.offset, length: arr.length, text: `[${eol}${indent}${body}${eol}${lineIndent(text, arr.offset)}]` };
  const end = last.offset + last.length;
  // The same separator as between the existing prompts (",\n    ", or ", " in a one-line file).
  const items = arr.children!;
  const prev = items.at(-2);
  const sep = prev ? text.slice(prev.offset + prev.length, last.offset) : text.slice(arr.offset + 1, last.offset).includes('\n') ? `,${eol}${indent}` : ', ';
  return { offset: end, length: 0, text: `${sep}${body}` };
}

export function replacePromptEdit(text: string, index: number, entry: PromptEntry, name = DEFAULT_NAME): TextEdit {
  const arr = promptsArray(text, name);
  const old = arr.children![index];
  if (!old) throw new UserError(`${name} has no prompt ${index}`);
  const { body } = formatLike(text, arr, entry);
  return { offset: old.offset, length: old.length, text: body };
}

export function removePromptEdit(text: string, index: number, name = DEFAULT_NAME): TextEdit {
  const arr = promptsArray(text, name);
  const items = arr.children!;
  const old = items[index];
  if (!old) throw new UserError(`${name} has no prompt ${index}`);
  if (items.length === 1) return { offset: arr.offset, length: arr.length, text: '[]' };
  // Remove from the end of the previous element (taking its comma) or up to the next one.
  if (index > 0) {
    const prev = items[index - 1];
    const from = prev.offset + prev.length;
    return { offset: from, length: old.offset + old.length - from, text: '' };
  }
  const next = items[1];
  return { offset: old.offset, length: next.offset - old.offset, text: '' };
}

export function applyEdit(text: string, e: TextEdit): string {
  return text.slice(0, e.offset) + e.text + text.slice(e.offset + e.length);
}
