import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../src/engine/errors';
import type { ModelConfig } from '../../src/engine/weights';
import { PATCH_KINDS, parsePatchKind, patchSites } from '../../src/analysis/sites';
import type { PatchSite } from '../../src/analysis/sites';

const GPT2: ModelConfig = {
  architecture: 'gpt2', nLayers: 3, dModel: 8, nHeads: 4, dHead: 2, dMlp: 32, dVocab: 50, nCtx: 16,
  act: 'gelu_new', eps: 1e-5, positional: 'standard', rotaryDim: 0, rotaryBase: 10000, parallelAttnMlp: false, bosTokenId: 0,
};
const NEOX: ModelConfig = { ...GPT2, architecture: 'gpt_neox', positional: 'rotary', rotaryDim: 2, parallelAttnMlp: true };
const T = 5;

/** The hook's activation shape without batch, as TransformerLens gives it. */
function hookShape(site: PatchSite): number[] {
  if (site.hook.endsWith('hook_pattern')) return [GPT2.nHeads, T, T];
  if (/hook_[qkvz]$/.test(site.hook)) return [T, GPT2.nHeads, GPT2.dHead];
  return [T, GPT2.dModel];
}

/**
 * Broadcasts the site's one-cell mask over the hook's shape and lists the (pos, head)
 * pairs it touches; the pos of a pattern is its query (destination) index.
 */
function touched(site: PatchSite): Set<string> {
  const shape = hookShape(site);
  const out = new Set<string>();
  const n = shape.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < n; flat++) {
    const idx: number[] = [];
    let r = flat;
    for (let i = shape.length - 1; i >= 0; i--) {
      idx[i] = r % shape[i];
      r = Math.floor(r / shape[i]);
    }
    let cell = 0;
    site.maskDims.forEach((m, i) => {
      assert.ok(m === 1 || m === shape[i], `mask dim ${i} of ${site.hook} is ${m}, hook dim ${shape[i]}`);
      cell = cell * m + (m === 1 ? 0 : idx[i]);
    });
    if (cell !== site.cell) continue;
    const isPattern = site.hook.endsWith('hook_pattern');
    const pos = isPattern ? idx[1] : idx[0];
    const head = isPattern ? idx[0] : shape.length === 3 ? idx[1] : -1;
    out.add(`${pos},${head}`);
  }
  return out;
}

function expected(site: PatchSite): Set<string> {
  const heads = site.head >= 0 ? [site.head] : site.hook.match(/hook_(q|k|v|z|pattern)$/) ? [] : [-1];
  const positions = site.pos >= 0 ? [site.pos] : [...Array(T).keys()];
  const out = new Set<string>();
  for (const p of positions) for (const h of heads) out.add(`${p},${h}`);
  return out;
}

test('every kind lists one site per grid cell, in row-major order, with the TransformerLens shape', () => {
  const L = GPT2.nLayers;
  const H = GPT2.nHeads;
  const shapes: Record<string, number[]> = {
    resid_pre: [L, T], resid_mid: [L, T], attn_out: [L, T], mlp_out: [L, T], block_every: [3, L, T],
    attn_head_all_pos_every: [5, L, H], attn_head_out_by_pos: [L, T, H], attn_head_pattern_by_pos: [L, T, H],
    attn_head_q_all_pos: [L, H], attn_head_pattern_all_pos: [L, H],
  };
  for (const kind of PATCH_KINDS) {
    const g = patchSites(GPT2, kind, T);
    if (shapes[kind]) assert.deepEqual(g.dims, shapes[kind], kind);
    assert.equal(g.sites.length, g.dims.reduce((a, b) => a * b, 1), kind);
    assert.equal(g.axes.length, g.dims.length);
    g.sites.forEach((s, i) => {
      assert.equal(s.index, i);
      // Recompute the flat index from the site's coordinates along the named axes.
      const coord: Record<string, number> = { facet: s.facet, layer: s.layer, pos: s.pos, head: s.head };
      const flat = g.axes.reduce((acc, a, k) => acc * g.dims[k] + coord[a], 0);
      assert.equal(flat, i, `${kind} site ${i}`);
      assert.ok(s.hook.startsWith(`blocks.${s.layer}.`));
    });
  }
});

test('each site mask selects exactly its position / head / destination position', () => {
  for (const kind of PATCH_KINDS) {
    for (const s of patchSites(GPT2, kind, T).sites) {
      assert.deepEqual([...touched(s)].sort(), [...expected(s)].sort(), `${kind} ${s.hook} pos ${s.pos} head ${s.head}`);
    }
  }
});

test('facets of the *_every kinds patch the TransformerLens hooks in order', () => {
  const every = patchSites(GPT2, 'attn_head_all_pos_every', T);
  assert.deepEqual(every.facets.map((f) => f.name), ['output', 'query', 'key', 'value', 'pattern']);
  assert.deepEqual(every.facets.map((f) => f.suffix), ['attn.hook_z', 'attn.hook_q', 'attn.hook_k', 'attn.hook_v', 'attn.hook_pattern']);
  const block = patchSites(GPT2, 'block_every', T);
  assert.deepEqual(block.facets.map((f) => f.suffix), ['hook_resid_pre', 'hook_attn_out', 'hook_mlp_out']);
});

test('resid_mid on a parallel-attention model and unknown kinds are one-line user errors', () => {
  assert.throws(() => patchSites(NEOX, 'resid_mid', T), (e: Error) => e instanceof UserError && /resid_mid/.test(e.message) && !e.message.includes('\n'));
  assert.equal(patchSites(NEOX, 'block_every', T).sites.length, 3 * NEOX.nLayers * T);
  assert.throws(() => parsePatchKind('resid_post'), (e: Error) => e instanceof UserError && /resid_post/.test(e.message));
});
