/**
 * One-prompt operations: `tokenize`, `test-prompt` (TransformerLens `utils.test_prompt`),
 * `run` (run_with_cache of the asked hooks), plus the small logit helpers (log-sum-exp,
 * top-k, rank) the other one-prompt analyses share.
 *
 * Ranks are 0-based as `test_prompt` prints them: rank 0 is the model's top token.
 */
import { UserError } from '../engine/errors';
import { parseHookName, type HookName } from '../engine/hooks';
import type { Model } from '../engine/types';
import type { RunOpResult, TokenizeResult } from '../protocol/ops';
import type { TestPromptResult, TokenInfo } from '../protocol/results';
import { quoteTokens } from '../protocol/tokens';

type Row = ArrayLike<number>;

/** log Σ exp(row), computed stably in float64. */
export function logSumExp(row: Row): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.exp(row[i] - max);
  return max + Math.log(s);
}

/** Indices of the k largest entries, largest first (ties: lower id first). */
export function topKIndices(row: Row, k: number): number[] {
  const n = Math.min(k, row.length);
  const best: number[] = [];
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (best.length === n && v <= row[best[n - 1]]) continue;
    let j = best.length === n ? n - 1 : best.length;
    if (best.length < n) best.push(i);
    while (j > 0 && row[best[j - 1]] < v) {
      best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best;
}

/** 0-based rank of `id`: how many tokens have a strictly larger logit. */
export function rankOf(row: Row, id: number): number {
  const v = row[id];
  let r = 0;
  for (let i = 0; i < row.length; i++) if (row[i] > v) r++;
  return r;
}

/** Top-k tokens of a logit row with logit and softmax probability. */
export function topTokens(model: Model, row: Row, k: number): TokenInfo[] {
  const lse = logSumExp(row);
  return topKIndices(row, k).map((id) => ({ token: model.tokenizer.decode([id]), id, logit: row[id], prob: Math.exp(row[id] - lse) }));
}

/** A position index given by a user, negative counting from the end (Python style). */
export function resolvePos(pos: number, T: number, what = 'position'): number {
  const p = pos < 0 ? T + pos : pos;
  if (!Number.isInteger(pos) || p < 0 || p >= T) throw new UserError(`${what} ${pos} is outside the prompt's ${T} tokens (0..${T - 1}, or -1..-${T})`);
  return p;
}

export function encodePrompt(model: Model, prompt: string, prependBos = true): number[] {
  const tokens = model.tokenizer.encode(prompt, { prependBos });
  if (tokens.length === 0) throw new UserError('the prompt is empty');
  if (tokens.length > model.cfg.nCtx) throw new UserError(`the prompt is ${tokens.length} tokens, longer than the model's context of ${model.cfg.nCtx}`);
  return tokens;
}

/** Logits [V] at one position of one prompt. */
export async function lastLogits(model: Model, tokens: number[], pos: number, signal?: AbortSignal): Promise<Float32Array> {
  const out = await model.run({ tokens: [tokens], output: { kind: 'logits', positions: [pos] }, signal });
  if (!out.logits) throw new Error('the engine returned no logits');
  return out.logits.data.subarray(0, model.cfg.dVocab);
}

export function tokenize(model: Model, text: string, prependBos = true): TokenizeResult {
  const tokens = model.tokenizer.encode(text, { prependBos });
  return { tokens, strTokens: model.tokenizer.strTokens(tokens) };
}

/**
 * One token typed by a user (an answer, a tracked token), named `what` in the error. The
 * tokenizer's own message suggests a prompt-set option, which a command-line token has not.
 */
export function singleTokenOf(model: Model, text: string, what: string): number {
  const ids = model.tokenizer.encode(text, { prependBos: false });
  if (ids.length === 1) return ids[0];
  if (ids.length === 0) throw new UserError(`${what} ${JSON.stringify(text)} is empty; give one token such as " Mary"`);
  throw new UserError(`${what} ${JSON.stringify(text)} is ${ids.length} tokens ${quoteTokens(model.tokenizer.strTokens(ids))}; give a single token`);
}

/** TransformerLens `utils.test_prompt` for a single-token answer (several tokens: UserError). */
export async function testPrompt(
  model: Model,
  opts: { prompt: string; answer: string; topK?: number; prependBos?: boolean; signal?: AbortSignal },
): Promise<TestPromptResult> {
  const answerId = singleTokenOf(model, opts.answer, 'answer');
  const tokens = encodePrompt(model, opts.prompt, opts.prependBos);
  const row = await lastLogits(model, tokens, tokens.length - 1, opts.signal);
  const lse = logSumExp(row);
  return {
    strTokens: model.tokenizer.strTokens(tokens),
    answer: { token: model.tokenizer.decode([answerId]), id: answerId, rank: rankOf(row, answerId), logit: row[answerId], prob: Math.exp(row[answerId] - lse) },
    top: topTokens(model, row, opts.topK ?? 10),
  };
}

/** Hook names typed by a user, checked against the model (unknown: UserError naming it). */
export function parseHooks(model: Model, names: readonly string[]): HookName[] {
  return names.map((n) => {
    try {
      const h = parseHookName(n.trim(), model.cfg.nLayers, model.cfg.parallelAttnMlp);
      if (h.name === 'hook_pos_embed' && model.cfg.positional === 'rotary') throw new Error(`unknown hook "${n}": this model uses rotary embeddings and has no hook_pos_embed`);
      return h.name;
    } catch (err) {
      throw err instanceof UserError ? err : new UserError((err as Error).message);
    }
  });
}

/**
 * run_with_cache of the asked hooks on one prompt, TransformerLens shapes (batch dim 1 kept). Masked attention
 * scores are −Infinity; JSON.stringify writes them as null.
 */
export async function runPrompt(
  model: Model,
  opts: { prompt: string; hooks?: string[]; topK?: number; prependBos?: boolean; signal?: AbortSignal },
): Promise<RunOpResult> {
  const hooks = parseHooks(model, opts.hooks ?? []);
  const tokens = encodePrompt(model, opts.prompt, opts.prependBos);
  const out = await model.run({ tokens: [tokens], cache: hooks, output: { kind: 'logits', positions: [tokens.length - 1] }, signal: opts.signal });
  if (!out.logits) throw new Error('the engine returned no logits');
  const cache: RunOpResult['cache'] = {};
  for (const h of hooks) {
    const t = out.cache.get(h);
    if (!t) throw new Error(`the engine did not return hook ${h}`);
    cache[h] = { dims: [...t.dims], data: Array.from(t.data) };
  }
  return { strTokens: model.tokenizer.strTokens(tokens), top: topTokens(model, out.logits.data.subarray(0, model.cfg.dVocab), opts.topK ?? 10), cache };
}
