/**
 * `--memory-budget` (patch, path-patch) reaches the sweep: the progress the sweep reports
 * once per chunk moves one row at a time under a tiny budget and by many rows under the
 * default, and the numbers do not depend on the batching. Bad values exit 2 with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';

const ROOT = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'ce-budget-'));
const SPEC = join(dir, 'two.circuit.json');
const full = JSON.parse(readFileSync(join(ROOT, 'models', 'circuit-demo-gpt2-3l', 'ioi.circuit.json'), 'utf8')) as { prompts: unknown[] };
writeFileSync(SPEC, JSON.stringify({ ...full, prompts: full.prompts.slice(0, 2) }));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...argv, '--device', 'cpu', '--json'], { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: ROOT, reuseModels: true });
  return { code, out, err };
}

/** Rows finished between consecutive progress reports of the sweep (one report per chunk). */
function rowSteps(stderr: string): number[] {
  const done = stderr.split('\n').filter((l) => /rows \d+\/\d+$/.test(l)).map((l) => Number(/(\d+)\/\d+$/.exec(l)![1]));
  return done.slice(1).map((d, i) => d - done[i]);
}

function values(out: string): number[] {
  return (JSON.parse(out) as { values: number[] }).values;
}

for (const args of [['patch', '--kind', 'resid_pre'], ['path-patch', '--receivers', '2.0,2.3', '--receiver-input', 'q']]) {
  test(`${args[0]}: --memory-budget sets the chunk size and leaves the numbers alone`, async () => {
    const small = await cli(...args, '--spec', SPEC, '--memory-budget', '0.0001');
    assert.equal(small.code, 0, small.err);
    const dflt = await cli(...args, '--spec', SPEC);
    assert.equal(dflt.code, 0, dflt.err);
    const a = rowSteps(small.err);
    const b = rowSteps(dflt.err);
    assert.ok(a.length >= 4, `a tiny budget reports row by row: ${small.err.slice(0, 300)}`);
    assert.ok(a.every((s) => s === 1), `a tiny budget gives one-row chunks, got steps ${a.join(',')}`);
    assert.ok(b.length < a.length && b.some((s) => s > 1), `the default budget batches rows, got steps ${b.join(',')}`);
    const [x, y] = [values(small.out), values(dflt.out)];
    assert.equal(x.length, y.length);
    // Batching changes float32 summation order at most.
    x.forEach((v, i) => assert.ok(Math.abs(v - y[i]) <= 1e-4, `value ${i}: ${v} vs ${y[i]}`));
  });
}

test('a memory budget that is not a positive number is a usage error (exit 2, one line)', async () => {
  for (const bad of ['0', '-5', 'lots']) {
    const r = await cli('patch', '--kind', 'resid_pre', '--spec', SPEC, '--memory-budget', bad);
    assert.equal(r.code, 2, `${bad}: ${r.err}`);
    const first = r.err.split('\n')[0];
    assert.match(first, /^error: patch: --memory-budget must be a (positive )?number/);
  }
});
