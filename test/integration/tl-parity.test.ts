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
import { mulberry32 } from '../../src/engine/random';

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

test('demo model: an induction-style patching sweep points at the previous-token head L0H0 and at no later head (model card: no induction heads)', async () => {
  const model = await loadModel({ device: 'cpu' });
  try {
    // Repeated random words: the clean prompt repeats its first eight words, the corrupted
    // one continues with other words; the answer is the word the repeat predicts.
    const rand = mulberry32(11);
    const words = ['·apple', '·river', '·stone', '·cloud', '·horse', '·paper', '·glass', '·chair', '·music', '·water', '·light', '·bread', '·green', '·money', '·night', '·table']
      .map((w) => w.replace('·', ' '));
    const pick = (n: number) => [...words].sort(() => rand() - 0.5).slice(0, n);
    const prompts = Array.from({ length: 8 }, () => {
      const a = pick(8);
      const b = words.filter((w) => !a.includes(w)).slice(0, 8);
      return { clean: a.join('') + a.slice(0, 5).join(''), corrupted: a.join('') + b.slice(0, 5).join(''), answer: a[5], wrong: b[5] };
    });
    const r = (await runOp(model, { op: 'patch', spec: { prompts }, kind: 'attn_head_out_all_pos' }, {})) as { values: number[]; clean: number; corrupted: number };
    // Raw effect of each head on the mean logit difference, in logits. Without induction
    // heads, the head that matters is the previous-token head L0H0 the card names (it
    // carries which token came before, and that differs in the repeat); no head of a later
    // layer — where an induction head would sit — moves the logit difference much.
    const H = model.cfg.nHeads;
    const raw = r.values.map((v) => v * (r.clean - r.corrupted));
    const strongest = raw.reduce((best, v, i) => (Math.abs(v) > Math.abs(raw[best]) ? i : best), 0);
    assert.ok(Math.abs(r.clean - r.corrupted) < 0.5, `the repeat helps by ${r.clean - r.corrupted} logits`);
    assert.equal(`L${Math.floor(strongest / H)}H${strongest % H}`, 'L0H0');
    const later = raw.slice(H).map(Math.abs);
    assert.ok(Math.max(...later) < 0.2, `a head after layer 0 moves the logit difference by ${Math.max(...later)}`);
  } finally {
    await model.dispose();
  }
});
