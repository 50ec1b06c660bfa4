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

function promptsArray(text: string): JsonNode {
  const arr = member(parseJsonTree(text), 'prompts');
  if (arr?.type !== 'array') throw new UserError('the prompt set has no "prompts" array');
  return arr;
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
  return { body: `{\n${lines.join(',\n')}\n${indent}}`, indent };
}

/** Source offset of a member's key (the value node only knows where its value starts). */
function keyOffset(text: string, valueNode: JsonNode): number {
  const colon = text.lastIndexOf(':', valueNode.offset);
  return text.lastIndexOf('"', text.lastIndexOf('"', colon) - 1);
}

export function appendPromptEdit(text: string, entry: PromptEntry): TextEdit {
  const arr = promptsArray(text);
  const { body, indent } = formatLike(text, arr, entry);
  const last = arr.children!.at(-1);
  if (!last) return { offset: arr.offset, length: arr.length, text: `[\n${indent}${body}\n${lineIndent(text, arr.offset)}]` };
  const end = last.offset + last.length;
  return { offset: end, length: 0, text: `,\n${indent}${body}` };
}

export function replacePromptEdit(text: string, index: number, entry: PromptEntry): TextEdit {
  const arr = promptsArray(text);
  const old = arr.children![index];
  if (!old) throw new UserError(`the prompt set has no prompt ${index}`);
  const { body } = formatLike(text, arr, entry);
  return { offset: old.offset, length: old.length, text: body };
}

export function removePromptEdit(text: string, index: number): TextEdit {
  const arr = promptsArray(text);
  const items = arr.children!;
  const old = items[index];
  if (!old) throw new UserError(`the prompt set has no prompt ${index}`);
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
