import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DlaResult, PatchResult, ScoreAttributionResult } from '../../src/protocol/results';
import { attendedBy, attendsTo, attentionCsv, headPattern, headRefs } from '../../webview/attention/pattern';
import { scoreCheck, sumCheck } from '../../webview/result/dlaCheck';
import { csvField, toCsv } from '../../webview/shared/csv';
import { fileSafe, formatValue, posLabels, showToken } from '../../webview/shared/format';
import { heatmapsCsv, patchHeatmaps, scoreHeatmap } from '../../webview/shared/grid';
import { sampleAttention, sampleRuns } from '../support/webviewSamples';

test('tokens are labelled as the seeds show them', () => {
  assert.equal(showToken(' Mary'), '·Mary');
  assert.equal(showToken('\n\n'), '↩↩');
  assert.deepEqual(posLabels(['<|endoftext|>', 'When', ' Mary']), ['<|endoftext|> 0', 'When 1', '·Mary 2']);
  assert.equal(formatValue(0.123456), '0.123');
  assert.equal(formatValue(-2), '-2');
  assert.equal(formatValue(1.5e-5), '1.50e-5');
  assert.equal(fileSafe('attn_head_out_by_pos / L1'), 'attn_head_out_by_pos-L1');
});

test('CSV fields are quoted per RFC 4180 and formula-like text is defused', () => {
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('=SUM(A1)'), "'=SUM(A1)");
  assert.equal(csvField(-0.5), '-0.5');
  assert.equal(csvField(Number.NaN), '');
  assert.equal(toCsv(['x', 'y'], [[1, ' ,']]), 'x,y\n1," ,"\n');
});

function byPosResult(L: number, T: number, H: number): PatchResult {
  const values = Array.from({ length: L * T * H }, (_, i) => i / 7 - 3);
  return {
    kind: 'attn_head_out_by_pos', dims: [L, T, H], axes: ['layer', 'pos', 'head'], labels: {}, values,
    clean: 1, corrupted: 0, noising: false, strTokens: Array.from({ length: T }, (_, t) => ` t${t}`), seconds: 0,
  };
}

test('[L,T,H] results slice into one [L,T] map per head, with shared colour range', () => {
  const [L, T, H] = [2, 3, 4];
  const r = byPosResult(L, T, H);
  const specs = patchHeatmaps(r, 'each');
  assert.equal(specs.length, H);
  for (let h = 0; h < H; h++) {
    for (let l = 0; l < L; l++) for (let t = 0; t < T; t++) {
      // Independent index: value i = ((l*T)+t)*H+h was set to i/7-3.
      assert.equal(specs[h].values[l * T + t], (((l * T) + t) * H + h) / 7 - 3);
    }
    assert.equal(specs[h].head, h);
    assert.equal(specs[h].colourMax, 3);
  }
  assert.deepEqual(specs[0].colLabels, ['·t0 0', '·t1 1', '·t2 2']);
  const one = patchHeatmaps(r, 2);
  assert.equal(one.length, 1);
  assert.deepEqual(one[0].values, specs[2].values);
});

test('faceted [3,L,T] results get the block_every facet names and a long CSV', () => {
  const [L, T] = [2, 2];
  const values = Array.from({ length: 3 * L * T }, (_, i) => i);
  const r: PatchResult = { kind: 'block_every', dims: [3, L, T], axes: ['facet', 'layer', 'pos'], labels: {}, values, clean: 1, corrupted: 0, noising: false, strTokens: ['a', 'b'], seconds: 0 };
  const specs = patchHeatmaps(r);
  assert.deepEqual(specs.map((s) => s.title), ['resid_pre', 'attn_out', 'mlp_out']);
  const lines = heatmapsCsv(specs).trim().split('\n');
  assert.equal(lines[0], 'facet,layer,pos,value');
  assert.equal(lines.length, 1 + 3 * L * T);
  assert.equal(lines[1 + 2 * L * T + 3], 'mlp_out,1,b 1,11');
});

test('a result whose dims do not match its values is refused with a clear message', () => {
  const r = byPosResult(2, 3, 4);
  r.values.pop();
  assert.throws(() => patchHeatmaps(r), /dims \[2, 3, 4\] do not match 23 values/);
});

test('DLA sum check compares Σ pieces + bias with the actual logit difference', () => {
  const r: DlaResult = { layers: { labels: ['embed', 'pos_embed', '0 attn'], values: [0.25, -0.5, 1.5] }, heads: { dims: [1, 1], values: [1.5] }, total: 1.3, actual: 1.3 + 5e-7, biasTerm: 0.05, strTokens: [] };
  const ok = sumCheck(r);
  assert.equal(ok.ok, true);
  assert.match(ok.text, /Σ pieces \+ bias = 1\.300000 vs actual logit diff: 1\.300001, agree to 1e-6/);
  const bad = sumCheck({ ...r, actual: 1.31 });
  assert.equal(bad.ok, false);
  assert.match(bad.text, /DIFFER by 1\.00e-2/);
});

function scoreResult(over: Partial<ScoreAttributionResult> = {}): ScoreAttributionResult {
  // Layer 2 of a 2-head model: 2 earlier layers × (2 heads + MLP); pieces are dyadic so sums are exact.
  const values = [0.5, -0.25, 1, 0.125, 0, -2];
  return { layer: 2, head: 1, side: 'key', queryPos: 3, keyPos: 1, components: { dims: [2, 3], values }, embed: 4, posEmbed: -0.5, attnBias: 0.25, otherBias: -1, total: 2.125, actual: 2.125, pattern: 0.3, prompts: 1, strTokens: ['a', 'b', 'c', 'd'], ...over };
}

test('score attribution check adds every piece (misc row included) and compares with hook_attn_scores', () => {
  // 0.5 − 0.25 + 1 + 0.125 + 0 − 2 + 4 − 0.5 + 0.25 − 1 = 2.125
  const ok = scoreCheck(scoreResult({ actual: 2.125 + 1e-6 }));
  assert.equal(ok.ok, true);
  assert.match(ok.text, /^Σ pieces = 2\.125000 vs the model's score \(hook_attn_scores\): 2\.125001, agree to 1e-5$/);
  // A rotary model has no W_pos piece: the sum must not count it.
  assert.equal(scoreCheck(scoreResult({ posEmbed: null, actual: 2.625 })).ok, true);
  const bad = scoreCheck(scoreResult({ actual: 2.2 }));
  assert.equal(bad.ok, false);
  assert.match(bad.text, /DIFFER by 7\.50e-2/);
});

test('score attribution map: a misc row of tagged pieces above the layers, heads then MLP, padded when the pieces outnumber the columns', () => {
  const s = scoreHeatmap(scoreResult());
  assert.deepEqual(s.rowLabels, ['misc', '0', '1']);
  assert.deepEqual(s.rowLayers, [null, 0, 1]);
  // 4 misc pieces but only 2 heads + MLP: one padding column, empty (NaN) in the layer rows.
  assert.deepEqual(s.colLabels, ['0', '1', 'MLP', '']);
  assert.equal(s.headCols, 2);
  assert.deepEqual(s.cellTags!.slice(0, 4), ['W_E', 'W_pos', 'b_O', 'b_K']);
  assert.deepEqual(s.values.slice(0, 4), [4, -0.5, 0.25, -1]);
  assert.deepEqual(s.values.slice(4, 7), [0.5, -0.25, 1]);
  assert.ok(Number.isNaN(s.values[7]) && Number.isNaN(s.values[11]));
  assert.equal(s.cellNames![4 + 2], 'MLP 0');
  assert.equal(s.cellNames![8 + 1], 'head 1.1');
  assert.equal(s.colourMax, 4);
  // Query side, rotary: no W_pos, and the fixed side's bias is b_Q; 3 pieces fit 3 columns.
  const q = scoreHeatmap(scoreResult({ side: 'query', posEmbed: null }));
  assert.deepEqual(q.colLabels, ['0', '1', 'MLP']);
  assert.deepEqual(q.cellTags!.slice(0, 3), ['W_E', 'b_O', 'b_Q']);
  // The sample run's map: 4 heads + MLP, nothing padded, every value finite.
  const sample = scoreHeatmap(sampleRuns().score.result as ScoreAttributionResult);
  assert.equal(sample.colLabels.length, 5);
  assert.equal(sample.values.filter((v) => Number.isNaN(v)).length, 1, 'only the misc row\'s fifth cell is empty');
  assert.equal(scoreCheck(sampleRuns().score.result as ScoreAttributionResult).ok, true);
});

test('attention helpers: rows are distributions, columns read the transpose', () => {
  const r = sampleAttention();
  const T = r.strTokens.length;
  const refs = headRefs(r);
  assert.equal(refs.length, r.layers.length * r.heads.length);
  const p = headPattern(r, refs[5]);
  for (let q = 0; q < T; q++) {
    const row = attendsTo(p, T, q);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.ok(row.slice(q + 1).every((v) => v === 0), 'causal');
  }
  const col = attendedBy(p, T, 3);
  for (let q = 0; q < T; q++) assert.equal(col[q], r.values[5 * T * T + q * T + 3]);
  const csv = attentionCsv(r).trim().split('\n');
  assert.equal(csv.length, 1 + refs.length * (T * (T + 1)) / 2);
});
