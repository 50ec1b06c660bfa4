/**
 * Attention score attribution, checked against invariants and the float64 reference:
 * the pieces of one side's residual plus the fixed side's constant add up to the score
 * the engine computes (hook_attn_scores), that score is the float64 forward's, and the
 * key-side and query-side splits of one score have the same total. On tiny GPT-2
 * (learned positions) and GPT-NeoX (partial rotary, parallel attention + MLP), with weight
 * processing on and off, and on the demo model through the op a user runs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCanonicalWeights } from '../../src/engine/checkpoint/load';
import { HookedModel } from '../../src/engine/hookedModel';
import { loadModel } from '../../src/engine/load';
import { loadTokenizer } from '../../src/engine/tokenizer';
import type { Model } from '../../src/engine/types';
import { DEFAULT_PROCESSING, NO_PROCESSING, type ProcessingOptions } from '../../src/engine/weights';
import { attentionScoreAttribution, type ScorePrompt } from '../../src/analysis/scoreAttribution';
import { runOp } from '../../src/analysis/ops';
import type { ScoreAttributionResult } from '../../src/protocol/results';
import { forward64 } from '../support/reference64';
import { rng } from '../support/randomWeights';
import { makeTinyCheckpoint } from '../support/tinyCheckpoint';

async function tiny(arch: 'gpt2' | 'gpt_neox', processing: ProcessingOptions): Promise<Model> {
  const dir = makeTinyCheckpoint(mkdtempSync(join(tmpdir(), `ce-score-${arch}-`)), { arch, seed: 11, nLayers: 3 });
  const weights = await loadCanonicalWeights(dir, processing);
  const tokenizer = await loadTokenizer(dir, { bosTokenId: weights.cfg.bosTokenId });
  return HookedModel.create(weights, tokenizer, { id: `tiny-${arch}`, source: dir, device: 'cpu' });
}

/** Every piece of the split, summed. */
function pieces(r: ScoreAttributionResult): number {
  return r.components.values.reduce((a, b) => a + b, 0) + r.embed + (r.posEmbed ?? 0) + r.attnBias + r.otherBias;
}

/** Mean score of head L.H from query to key in the float64 reference forward. */
function referenceScore(model: Model, prompts: ScorePrompt[], L: number, h: number): number {
  const H = model.cfg.nHeads;
  let s = 0;
  for (const p of prompts) {
    const T = p.tokens.length;
    const scores = forward64(model.weights, p.tokens).cache.get(`blocks.${L}.attn.hook_attn_scores`)!.data;
    s += scores[(h * T + p.query) * T + p.key];
  }
  return s / prompts.length;
}

function randomPrompts(seed: number, n: number, T: number): ScorePrompt[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const tokens = Array.from({ length: T }, () => 1 + Math.floor(r() * 999));
    const query = 1 + Math.floor(r() * (T - 1));
    return { tokens, query, key: Math.floor(r() * (query + 1)) };
  });
}

for (const arch of ['gpt2', 'gpt_neox'] as const) {
  for (const [name, processing] of [['processing on', DEFAULT_PROCESSING], ['processing off', NO_PROCESSING]] as const) {
    describe(`score attribution on a tiny ${arch}, ${name}`, () => {
      let model: Model;
      before(async () => {
        model = await tiny(arch, processing);
      });
      after(async () => model?.dispose());

      test('pieces + constant = the engine score = the float64 score, on both sides, for heads in every layer', async () => {
        const { nLayers, nHeads } = model.cfg;
        // Different lengths in one call: the analysis batches each length separately.
        const prompts = [...randomPrompts(5, 3, 9), ...randomPrompts(6, 2, 6)];
        for (let L = 0; L < nLayers; L++) {
          const h = (L + 1) % nHeads;
          const byKey = await attentionScoreAttribution(model, prompts, { layer: L, head: h, side: 'key' });
          const byQuery = await attentionScoreAttribution(model, prompts, { layer: L, head: h, side: 'query' });
          const ref = referenceScore(model, prompts, L, h);
          for (const r of [byKey, byQuery]) {
            assert.deepEqual(r.components.dims, [L, nHeads + 1]);
            assert.ok(Math.abs(pieces(r) - r.actual) < 1e-4, `${r.side} side, L${L}H${h}: Σ pieces ${pieces(r)} vs engine score ${r.actual}`);
            assert.ok(Math.abs(r.total - r.actual) < 1e-4, `${r.side} side: total ${r.total} vs ${r.actual}`);
            assert.ok(Math.abs(r.actual - ref) < 1e-4, `${r.side} side: engine score ${r.actual} vs float64 ${ref}`);
            assert.ok(r.pattern >= 0 && r.pattern <= 1);
            assert.equal(r.posEmbed === null, arch === 'gpt_neox');
          }
          // The two splits share nothing but the score they split.
          if (L > 0) assert.ok(byKey.components.values.some((v, i) => Math.abs(v - byQuery.components.values[i]) > 1e-6), 'the key and query splits are identical');
        }
      });

      test('a key after the query is refused with a one-line error', async () => {
        await assert.rejects(attentionScoreAttribution(model, [{ tokens: [1, 2, 3, 4], query: 1, key: 3 }], { layer: 0, head: 0, side: 'key' }), /key position 3 comes after the query position 1/);
      });
    });
  }
}

describe('score attribution on the demo model, as the op runs it', () => {
  let model: Model;
  before(async () => {
    model = await loadModel({ device: 'cpu' });
  });
  after(async () => model?.dispose());

  const spec = {
    prompts: [
      { clean: 'When John and Mary went to the shops, John gave the bag to', answer: ' Mary', wrong: ' John' },
      { clean: 'When Tom and James went to the park, James gave the ball to', answer: ' Tom', wrong: ' James' },
    ],
  };

  test('on a prompt set: query at the end, key at each prompt’s own answer token', async () => {
    const r = await runOp(model, { op: 'score-attribution', head: '2.1', spec });
    assert.equal(r.side, 'key');
    assert.equal(r.prompts, 2);
    assert.equal(r.strTokens[r.queryPos], ' to');
    assert.equal(r.strTokens[r.keyPos], ' Mary');
    assert.ok(Math.abs(pieces(r) - r.actual) < 1e-4, `Σ pieces ${pieces(r)} vs ${r.actual}`);
    const ps = spec.prompts.map((p) => {
      const tokens = model.tokenizer.encode(p.clean);
      return { tokens, query: tokens.length - 1, key: tokens.indexOf(model.tokenizer.singleToken(p.answer)) };
    });
    assert.ok(Math.abs(r.actual - referenceScore(model, ps, 2, 1)) < 1e-4);
  });

  test('on one prompt, positions given as an index and as a token string', async () => {
    const prompt = 'When John and Mary went to the shops, John gave the bag to';
    const byToken = await runOp(model, { op: 'score-attribution', head: '1.0', prompt, key: ' Mary', side: 'query' });
    const byIndex = await runOp(model, { op: 'score-attribution', head: '1.0', prompt, key: 4, query: -1, side: 'query' });
    assert.equal(byToken.keyPos, 4);
    assert.equal(byToken.actual, byIndex.actual);
    assert.ok(Math.abs(pieces(byToken) - byToken.actual) < 1e-4);
  });

  test('bad positions get one-line errors naming the prompt and showing its tokens', async () => {
    const prompt = 'It was all about salt and';
    await assert.rejects(runOp(model, { op: 'score-attribution', head: '0.0', prompt, key: ' Mary' }), /token " Mary" does not occur in the prompt "It was all about salt and": 0:"<\|endoftext\|>" 1:"It"/);
    await assert.rejects(runOp(model, { op: 'score-attribution', head: '0.0', prompt, key: 40 }), /position 40 is outside the prompt .* which has 7 tokens/);
    await assert.rejects(runOp(model, { op: 'score-attribution', head: '0.0', prompt }), /needs the key position/);
    await assert.rejects(runOp(model, { op: 'score-attribution', head: '9.0', prompt, key: 1 }), /head "9.0" does not exist/);
    await assert.rejects(runOp(model, { op: 'score-attribution', head: '0.0', spec: { prompts: [{ clean: prompt }] } }), /prompt 0.*answer/);
  });
});
