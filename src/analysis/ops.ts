/**
 * The one dispatcher from an `OpRequest` (src/protocol/ops.ts) to the analysis that
 * answers it. The CLI, the engine worker and saved runs all go through here, so an
 * operation means the same thing wherever it is started.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from '../engine/errors';
import type { Model } from '../engine/types';
import type { OpName, OpRequest, OpResult, Progress } from '../protocol/ops';
import { ablateHeads } from './ablation';
import { attentionPatterns } from './attention';
import { directLogitAttribution } from './attribution';
import { attributionPatch } from './attributionPatching';
import { detectHeads, parseHeads } from './heads';
import { logitLens } from './logitLens';
import { activationPatch } from './patching';
import { pathPatch } from './pathPatching';
import { loadPromptSet } from './promptSet';
import { attentionScoreAttribution, resolvePosition, type ScorePrompt } from './scoreAttribution';
import { runPrompt, testPrompt, tokenize } from './testPrompt';

export interface OpContext {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Resolves relative file paths in the request (e.g. `textFile`). */
  cwd?: string;
}

async function readText(path: string, cwd: string | undefined): Promise<string> {
  const file = resolve(cwd ?? process.cwd(), path);
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read text file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A sweep's memory budget from a request: undefined (the default) or a positive number of MB. */
function budget(mb: unknown): number | undefined {
  if (mb === undefined) return undefined;
  if (typeof mb !== 'number' || !Number.isFinite(mb) || mb <= 0) throw new UserError(`memoryBudgetMB must be a positive number of MB, got ${JSON.stringify(mb)}`);
  return mb;
}

export async function runOp<N extends OpName>(model: Model, req: Extract<OpRequest, { op: N }>, ctx?: OpContext): Promise<OpResult<N>>;
export async function runOp(model: Model, req: OpRequest, ctx: OpContext = {}): Promise<OpResult<OpName>> {
  const { signal, onProgress } = ctx;
  const progress = (message: string) => (done: number, total: number) => onProgress?.({ done, total, message });
  switch (req.op) {
    case 'tokenize':
      return tokenize(model, req.text, req.prependBos);
    case 'test-prompt':
      return testPrompt(model, { ...req, signal });
    case 'run':
      return runPrompt(model, { ...req, signal });
    case 'attention':
      return attentionPatterns(model, { ...req, signal });
    case 'logit-lens':
      return logitLens(model, { ...req, signal });
    case 'heads':
      return detectHeads(model, { ...req, signal });
    case 'ablate': {
      const text = req.textFile !== undefined ? await readText(req.textFile, ctx.cwd) : req.text;
      return ablateHeads(model, { heads: req.heads, prompt: req.prompt, text, mode: req.mode, topK: req.topK, seed: req.seed, signal, onProgress: progress('ablating') });
    }
    case 'dla': {
      const set = loadPromptSet(req.spec, model.tokenizer, model.cfg.nCtx, { requireAnswers: true });
      const prompts = set.cleanTokens.map((tokens, i) => ({ tokens, answer: set.answerIds[i], wrong: set.wrongIds[i] }));
      return directLogitAttribution(model, prompts, { signal, strTokens: set.strTokens[0], onProgress: progress('attributing') });
    }
    case 'patch': {
      const set = loadPromptSet(req.spec, model.tokenizer, model.cfg.nCtx, { requireAnswers: true, requireCorrupted: true });
      if (req.method !== undefined && req.method !== 'activation' && req.method !== 'attribution') throw new UserError(`patching method must be activation or attribution, got ${JSON.stringify(req.method)}`);
      if (req.method === 'attribution') return attributionPatch(model, set, req.kind, { noising: req.noising, signal, onProgress });
      return activationPatch(model, set, req.kind, { noising: req.noising, signal, onProgress, memoryBudgetMB: budget(req.memoryBudgetMB) });
    }
    case 'path-patch': {
      const set = loadPromptSet(req.spec, model.tokenizer, model.cfg.nCtx, { requireAnswers: true, requireCorrupted: true });
      const receivers = req.receiverInput === 'resid' ? [] : parseHeads(req.receivers, model.cfg).map((h): [number, number] => [h.layer, h.head]);
      return pathPatch(model, set, { receivers, receiverInput: req.receiverInput, signal, onProgress, memoryBudgetMB: budget(req.memoryBudgetMB) });
    }
    case 'score-attribution':
      return scoreAttribution(model, req, signal, progress('attributing'));
    default: {
      const op = (req as { op: string }).op;
      throw new UserError(`unknown operation "${op}"`);
    }
  }
}

/** The score-attribution request resolved to positions in each prompt, then run. */
function scoreAttribution(
  model: Model,
  req: Extract<OpRequest, { op: 'score-attribution' }>,
  signal: AbortSignal | undefined,
  onProgress: (done: number, total: number) => void,
): Promise<OpResult<'score-attribution'>> {
  const heads = parseHeads([req.head], model.cfg);
  if (heads.length !== 1) throw new UserError(`score-attribution splits one head's score; got ${JSON.stringify(req.head)}`);
  const side = req.side ?? 'key';
  if (side !== 'key' && side !== 'query') throw new UserError(`side must be key or query, got ${JSON.stringify(side)}`);
  const tokenId = (text: string) => model.tokenizer.singleToken(text);
  const query = req.query ?? -1;
  let prompts: ScorePrompt[];
  let strTokens: string[];
  if (req.spec !== undefined) {
    const key = req.key ?? 'answer';
    const usesAnswers = [query, key].some((r) => r === 'answer' || r === 'wrong');
    const set = loadPromptSet(req.spec, model.tokenizer, model.cfg.nCtx, { requireAnswers: usesAnswers });
    prompts = set.cleanTokens.map((tokens, i) => {
      const p = { label: `${set.name}: prompt ${i}`, tokens, strTokens: set.strTokens[i], answer: set.answerIds[i], wrong: set.wrongIds[i] };
      return { tokens, query: resolvePosition(query, p, tokenId), key: resolvePosition(key, p, tokenId) };
    });
    strTokens = set.strTokens[0];
  } else if (req.prompt !== undefined) {
    if (req.key === undefined) throw new UserError('score-attribution on one prompt needs the key position (an index or a token of the prompt)');
    const tokens = model.tokenizer.encode(req.prompt, { prependBos: req.prependBos ?? true });
    if (tokens.length === 0) throw new UserError('the prompt is empty');
    if (tokens.length > model.cfg.nCtx) throw new UserError(`the prompt is ${tokens.length} tokens, over the model's context of ${model.cfg.nCtx}`);
    strTokens = model.tokenizer.strTokens(tokens);
    const p = { label: `the prompt ${JSON.stringify(req.prompt)}`, tokens, strTokens };
    prompts = [{ tokens, query: resolvePosition(query, p, tokenId), key: resolvePosition(req.key, p, tokenId) }];
  } else {
    throw new UserError('score-attribution needs a prompt set (spec) or a prompt');
  }
  return attentionScoreAttribution(model, prompts, { layer: heads[0].layer, head: heads[0].head, side, signal, strTokens, onProgress });
}
