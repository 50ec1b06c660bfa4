/**
 * Attention patterns (`blocks.L.attn.hook_pattern`, [query, key] per head) of chosen
 * layers and heads for one prompt: what the attention panel draws.
 */
import { UserError } from '../engine/errors';
import { blockHook } from '../engine/hooks';
import type { Model } from '../engine/types';
import type { AttentionResult } from '../protocol/results';
import { encodePrompt } from './testPrompt';

function checkIndices(list: readonly number[] | undefined, n: number, what: string): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (!list || list.length === 0) return all;
  for (const i of list) if (!Number.isInteger(i) || i < 0 || i >= n) throw new UserError(`${what} ${i} does not exist: the model has ${n} (0..${n - 1})`);
  return [...list];
}

export async function attentionPatterns(
  model: Model,
  opts: { prompt: string; layers?: number[]; heads?: number[]; prependBos?: boolean; signal?: AbortSignal },
): Promise<AttentionResult> {
  const { nLayers, nHeads } = model.cfg;
  const layers = checkIndices(opts.layers, nLayers, 'layer');
  const heads = checkIndices(opts.heads, nHeads, 'head');
  const tokens = encodePrompt(model, opts.prompt, opts.prependBos);
  const T = tokens.length;
  const hooks = layers.map((l) => blockHook(l, 'attn.hook_pattern'));
  const out = await model.run({ tokens: [tokens], cache: hooks, output: { kind: 'none' }, signal: opts.signal });
  const values = new Array<number>(layers.length * heads.length * T * T);
  let o = 0;
  for (const hook of hooks) {
    const p = out.cache.get(hook);
    if (!p) throw new Error(`the engine did not return ${hook}`);
    for (const h of heads) {
      const base = h * T * T; // [1, H, T, T]
      for (let i = 0; i < T * T; i++) values[o++] = p.data[base + i];
    }
  }
  return { strTokens: model.tokenizer.strTokens(tokens), layers, heads, dims: [layers.length, heads.length, T, T], values };
}
