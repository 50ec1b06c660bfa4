/**
 * Prompt sets (`*.circuit.json`, CONTRACTS §2): clean prompts, optional corrupted
 * counterparts, and the answer/wrong tokens whose logit difference is the metric.
 *
 * Patching runs every clean and corrupted prompt as rows of one batch and compares the
 * same position across rows, so every prompt of the set must tokenize to the same length;
 * the answer is read at the last position. Validation happens here, once, with errors
 * that name the file, the prompt and show the tokens, because a user can fix those.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../engine/errors';
import type { TokenizerLike } from '../engine/types';
import type { PromptSetFile } from '../protocol/ops';
import { quoteTokens } from '../protocol/tokens';

export type PromptSetEntry = PromptSetFile['prompts'][number];

export interface PromptSet {
  name: string;
  prompts: PromptSetEntry[];
  /** [prompt][pos] token ids, BOS first when the set's prependBos (default true). */
  cleanTokens: number[][];
  /** Same shape as cleanTokens; null when the set has no corrupted prompts. */
  corruptedTokens: number[][] | null;
  /** [prompt]; empty when the set has no answers. */
  answerIds: Int32Array;
  /** [prompt]; empty when the set has no wrong answers. */
  wrongIds: Int32Array;
  /** [prompt][pos] `to_str_tokens` of the clean prompts. */
  strTokens: string[][];
  /** The position the answer is predicted at: the last one. */
  answerPos: number;
}

export interface LoadPromptSetOptions {
  /** Every prompt needs `corrupted` (patching). */
  requireCorrupted?: boolean;
  /** Every prompt needs `answer` and `wrong` (logit difference). */
  requireAnswers?: boolean;
  /** Where `src` came from, for messages (when `src` is an object). */
  path?: string;
}

/** Parse, validate and tokenize a prompt set from a file path or an already-parsed object. */
export function loadPromptSet(
  src: string | PromptSetFile,
  tok: TokenizerLike,
  nCtx: number,
  opts: LoadPromptSetOptions = {},
): PromptSet {
  const where = typeof src === 'string' ? src : (opts.path ?? 'prompt set');
  const file = validateShape(typeof src === 'string' ? readJsonFile(src) : src, where);
  const prependBos = file.prependBos ?? true;
  const firstToken = file.answerToken === 'first';
  const prompts = file.prompts;

  const hasCorrupted = allOrNone(prompts, 'corrupted', where, opts.requireCorrupted ?? false);
  const hasAnswer = allOrNone(prompts, 'answer', where, opts.requireAnswers ?? false);
  const hasWrong = allOrNone(prompts, 'wrong', where, opts.requireAnswers ?? false);

  const cleanTokens = prompts.map((p) => tok.encode(p.clean, { prependBos }));
  const corruptedTokens = hasCorrupted ? prompts.map((p) => tok.encode(p.corrupted as string, { prependBos })) : null;
  const strTokens = cleanTokens.map((ids) => tok.strTokens(ids));

  checkLengths(cleanTokens, corruptedTokens, tok, nCtx, where);

  const answerId = (text: string, i: number, field: string): number => {
    try {
      if (firstToken) {
        const ids = tok.encode(text, { prependBos: false });
        if (ids.length === 0) throw new UserError(`${field} is empty`);
        return ids[0];
      }
      return tok.singleToken(text);
    } catch (err) {
      if (err instanceof UserError) {
        // singleToken says "answer …"; name the field actually at fault.
        const msg = err.message.replace(/^answer /, `${field} `);
        throw new UserError(`${where}: prompt ${i}: ${msg}`);
      }
      throw err;
    }
  };
  const answerIds = hasAnswer ? Int32Array.from(prompts, (p, i) => answerId(p.answer as string, i, 'answer')) : new Int32Array(0);
  const wrongIds = hasWrong ? Int32Array.from(prompts, (p, i) => answerId(p.wrong as string, i, 'wrong')) : new Int32Array(0);
  for (let i = 0; i < answerIds.length && i < wrongIds.length; i++) {
    if (answerIds[i] === wrongIds[i]) {
      throw new UserError(`${where}: prompt ${i}: answer and wrong are the same token ${quoteTokens(tok.strTokens([answerIds[i]]))}`);
    }
  }

  return {
    name: file.name ?? where,
    prompts,
    cleanTokens,
    corruptedTokens,
    answerIds,
    wrongIds,
    strTokens,
    answerPos: cleanTokens[0].length - 1,
  };
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read prompt set ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parsePromptSetJson(text, path);
}

/** JSON text of a prompt set; a syntax error names the file, line and column. */
export function parsePromptSetJson(text: string, path: string): unknown {
  // Windows editors save UTF-8 with a byte-order mark, which JSON.parse rejects.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new UserError(`${path}: the file is empty; a prompt set is a JSON object with a "prompts" array`);
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new UserError(`${path}: invalid JSON ${jsonErrorLocation(body, (err as Error).message)}`);
  }
}

/** "at line L column C: reason", from V8's message (which gives a character position). */
function jsonErrorLocation(text: string, message: string): string {
  const reason = message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
  const pos = /position (\d+)/.exec(message);
  if (!pos) return `: ${reason}`;
  const offset = Number(pos[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `at line ${line} column ${column}: ${reason}`;
}

function validateShape(raw: unknown, where: string): PromptSetFile {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UserError(`${where}: a prompt set must be a JSON object with a "prompts" array`);
  }
  const f = raw as Record<string, unknown>;
  if (!Array.isArray(f.prompts) || f.prompts.length === 0) {
    throw new UserError(`${where}: "prompts" must be a non-empty array of {"clean", "corrupted", "answer", "wrong"}`);
  }
  if (f.name !== undefined && typeof f.name !== 'string') throw new UserError(`${where}: "name" must be a string`);
  if (f.model !== undefined && typeof f.model !== 'string') throw new UserError(`${where}: "model" must be a string`);
  if (f.prependBos !== undefined && typeof f.prependBos !== 'boolean') {
    throw new UserError(`${where}: "prependBos" must be true or false`);
  }
  if (f.answerToken !== undefined && f.answerToken !== 'first' && f.answerToken !== 'error') {
    throw new UserError(`${where}: "answerToken" must be "first" or "error", got ${JSON.stringify(f.answerToken)}`);
  }
  f.prompts.forEach((p: unknown, i: number) => {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) {
      throw new UserError(`${where}: prompt ${i} must be an object like {"clean": "...", "answer": " Mary"}`);
    }
    const entry = p as Record<string, unknown>;
    if (typeof entry.clean !== 'string' || entry.clean.length === 0) {
      throw new UserError(`${where}: prompt ${i} has no "clean" text`);
    }
    for (const key of ['corrupted', 'answer', 'wrong']) {
      if (entry[key] !== undefined && typeof entry[key] !== 'string') {
        throw new UserError(`${where}: prompt ${i}: "${key}" must be a string`);
      }
    }
  });
  return raw as PromptSetFile;
}

/** A field is on every prompt or on none (a mixed set cannot be batched into one metric). */
function allOrNone(prompts: PromptSetEntry[], key: 'corrupted' | 'answer' | 'wrong', where: string, required: boolean): boolean {
  const missing = prompts.findIndex((p) => p[key] === undefined);
  if (missing === -1) return true;
  const present = prompts.findIndex((p) => p[key] !== undefined);
  if (required || present !== -1) {
    const why = required ? 'this command needs it on every prompt' : `prompt ${present} has one`;
    throw new UserError(`${where}: prompt ${missing} has no "${key}" (${why})`);
  }
  return false;
}

function checkLengths(clean: number[][], corrupted: number[][] | null, tok: TokenizerLike, nCtx: number, where: string): void {
  const show = (ids: number[]) => quoteTokens(tok.strTokens(ids));
  const len = clean[0].length;
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i];
    if (c.length > nCtx) {
      throw new UserError(`${where}: prompt ${i} is ${c.length} tokens, longer than the model's context of ${nCtx}`);
    }
    if (corrupted && corrupted[i].length !== c.length) {
      throw new UserError(
        `${where}: prompt ${i}: clean is ${c.length} tokens but corrupted is ${corrupted[i].length}; ` +
          `clean ${show(c)} corrupted ${show(corrupted[i])}`,
      );
    }
    if (c.length !== len) {
      throw new UserError(
        `${where}: prompt ${i} is ${c.length} tokens but prompt 0 is ${len}; every prompt of a set must have ` +
          `the same length: prompt 0 ${show(clean[0])} prompt ${i} ${show(c)}`,
      );
    }
  }
}
