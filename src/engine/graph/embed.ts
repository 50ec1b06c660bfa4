/**
 * The embedding, in TypeScript rather than an ONNX session: tokens [batch, pos] →
 * hook_embed = W_E[tokens], hook_pos_embed = W_pos[pos] repeated over the batch (learned
 * positions only; rotary models have none), and `resid` = their sum, the input of block 0
 * (block 0's own graph exposes and patches blocks.0.hook_resid_pre).
 *
 * Why not a graph: the embedding is a row gather and one add, while a session holding
 * gpt2-small's 154 MB W_E cost 1.8 s of every load (encoding, then ORT's own copies).
 * The numbers are the graph's exactly: a gather copies, a float32 sum of two float32s is
 * the same whether ORT or JavaScript rounds it, and patches use the graph's rule
 * (h = mask ≠ 0 ? value[source[b]] : h, broadcasting mask and value; see graph/patch.ts).
 */
import type { Tensor } from '../tensor';
import type { Patch } from '../types';
import { applyPatchInPlace } from '../unembed';
import type { CanonicalWeights } from '../weights';

export interface EmbedResult {
  /** [batch, pos, d_model], patched if asked. */
  hook_embed: Tensor;
  /** [batch, pos, d_model], patched if asked; null for rotary models. */
  hook_pos_embed: Tensor | null;
  /** hook_embed + hook_pos_embed [batch, pos, d_model]: block 0's hook_resid_pre before its patch. */
  resid: Tensor;
}

/**
 * Embeds `tokens` (already checked: B rows of T ids inside the vocabulary; patches
 * checked against [B, T, d_model]).
 */
export function embedTokens(w: CanonicalWeights, tokens: ArrayLike<ArrayLike<number>>, patches: { embed?: Patch; posEmbed?: Patch } = {}): EmbedResult {
  const d = w.cfg.dModel;
  const B = tokens.length;
  const T = tokens[0].length;
  const WE = w.W_E.data;
  const embed = new Float32Array(B * T * d);
  for (let b = 0; b < B; b++) {
    const row = tokens[b];
    for (let p = 0; p < T; p++) {
      const t = row[p];
      embed.set(WE.subarray(t * d, (t + 1) * d), (b * T + p) * d);
    }
  }
  const hookEmbed: Tensor = { dims: [B, T, d], data: embed };
  if (patches.embed) applyPatchInPlace(hookEmbed, patches.embed);
  if (w.cfg.positional !== 'standard') {
    // resid is a copy so that a caller changing the cached hook_embed cannot change block 0's input.
    return { hook_embed: hookEmbed, hook_pos_embed: null, resid: { dims: [B, T, d], data: embed.slice() } };
  }
  if (!w.W_pos) throw new Error('embedTokens: a model with learned positions needs W_pos');
  const pos = new Float32Array(B * T * d);
  const rows = w.W_pos.data.subarray(0, T * d);
  for (let b = 0; b < B; b++) pos.set(rows, b * T * d);
  const hookPos: Tensor = { dims: [B, T, d], data: pos };
  if (patches.posEmbed) applyPatchInPlace(hookPos, patches.posEmbed);
  const resid = new Float32Array(B * T * d);
  for (let i = 0; i < resid.length; i++) resid[i] = embed[i] + pos[i];
  return { hook_embed: hookEmbed, hook_pos_embed: hookPos, resid: { dims: [B, T, d], data: resid } };
}
