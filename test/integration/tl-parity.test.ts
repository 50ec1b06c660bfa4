/**
 * Acceptance: numbers TransformerLens printed for the bundled demo model (models/
 * circuit-demo-gpt2-3l/CARD.md, measured with TransformerLens 2.12 and default weight
 * processing) come out of our engine on the same weights and prompts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModel } from '../../src/engine/load';
import { runOp } from '../../src/analysis/ops';

const ROOT = join(__dirname, '..', '..');
const SPEC = join(ROOT, 'models', 'circuit-demo-gpt2-3l', 'ioi.circuit.json');

test('demo model: IOI mean logit differences equal TransformerLens (clean -0.3109, corrupted 0.3109)', async () => {
  const model = await loadModel({ device: 'cpu' });
  try {
    const spec = JSON.parse(require('node:fs').readFileSync(SPEC, 'utf8'));
    const r = await runOp(model, { op: 'patch', spec, kind: 'attn_head_out_all_pos' }, { cwd: ROOT });
    assert.ok('clean' in r && 'corrupted' in r);
    const { clean, corrupted } = r as { clean: number; corrupted: number };
    assert.ok(Math.abs(clean - -0.3109) < 5e-4, `clean ${clean}`);
    assert.ok(Math.abs(corrupted - 0.3109) < 5e-4, `corrupted ${corrupted}`);
  } finally {
    await model.dispose();
  }
});

test('demo model: "It was all about salt and" → " pepper" with probability 0.94 (model card)', async () => {
  const model = await loadModel({ device: 'cpu' });
  try {
    const r = await runOp(model, { op: 'test-prompt', prompt: 'It was all about salt and', answer: ' pepper' }, {});
    const t = r as { answer: { rank: number; prob: number } };
    assert.equal(t.answer.rank, 0);
    assert.ok(Math.abs(t.answer.prob - 0.94) < 0.005, `prob ${t.answer.prob}`);
  } finally {
    await model.dispose();
  }
});
