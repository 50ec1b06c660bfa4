/**
 * The embed graph: tokens int64 [batch, pos] → hook_embed, hook_pos_embed (learned
 * positions only; rotary models have none) and `resid` = their sum, the input of block 0
 * (block 0's own graph exposes and patches blocks.0.hook_resid_pre).
 */
import type { CanonicalWeights } from '../weights';
import { GraphBuilder } from './builder';
import { patchableHook } from './patch';

export const EMBED_TOKENS_INPUT = 'tokens';
export const EMBED_RESID_OUTPUT = 'resid';

export function buildEmbedGraph(w: CanonicalWeights): Uint8Array {
  const d = w.cfg.dModel;
  const g = new GraphBuilder('embed');
  const tokens = g.input(EMBED_TOKENS_INPUT, 'int64', ['batch', 'pos']);
  const embed = patchableHook(g, 'hook_embed', g.gather(g.initializer('W_E', w.W_E), tokens, 0), ['batch', 'pos', d]);
  let resid = embed;
  if (w.cfg.positional === 'standard') {
    if (!w.W_pos) throw new Error('buildEmbedGraph: a model with learned positions needs W_pos');
    const pos = g.slice(g.initializer('W_pos', w.W_pos), g.int64([0]), g.shape(tokens, 1, 2), g.int64([0]));
    // TransformerLens repeats pos_embed over the batch: hook_pos_embed is [batch, pos, d_model].
    const posEmbed = patchableHook(g, 'hook_pos_embed', g.expand(pos, g.shape(embed)), ['batch', 'pos', d]);
    resid = g.add(embed, posEmbed);
  }
  g.node('Identity', [resid], {}, EMBED_RESID_OUTPUT);
  g.output(EMBED_RESID_OUTPUT, 'float', ['batch', 'pos', d]);
  return g.build();
}
