/**
 * The memory budget (`memoryBudgetMB` of patch/path-patch requests, `--memory-budget` in the
 * CLI) reaches the sweep: the progress the sweep reports once per chunk moves one row at a
 * time under a tiny budget and by many rows under the default, and the numbers do not
 * depend on the batching. Bad values exit 2 with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { runOp } from '../../src/analysis/ops';
import { loadModel } from '../../src/engine/load';
import type { OpRequest, Progress } from '../../src/protocol/ops';

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
function rowSteps(reports: Progress[]): number[] {
  const done = reports.filter((p) => p.total > 0).map((p) => p.done);
  return done.slice(1).map((d, i) => d - done[i]);
}

function values(out: string): number[] {
  return (JSON.parse(out) as { values: number[] }).values;
}

const requests: Record<string, Partial<OpRequest>> = {
  patch: { op: 'patch', kind: 'resid_pre' },
  'path-patch': { op: 'path-patch', receivers: ['2.0', '2.3'], receiverInput: 'q' },
};

for (const [name, req] of Object.entries(requests)) {
  test(`${name}: memoryBudgetMB sets the chunk size and leaves the numbers alone`, async () => {
    const model = await loadModel({ device: 'cpu' });
    try {
      const spec = JSON.parse(readFileSync(SPEC, 'utf8'));
      const run = async (memoryBudgetMB?: number) => {
        const reports: Progress[] = [];
        const r = (await runOp(model, { ...req, spec, memoryBudgetMB } as OpRequest, { onProgress: (p) => reports.push(p) })) as { values: number[] };
        return { steps: rowSteps(reports), values: r.values };
      };
      const small = await run(0.0001);
      const dflt = await run();
      assert.ok(small.steps.length >= 4, `a tiny budget reports row by row: ${small.steps.join(',')}`);
      assert.ok(small.steps.every((s) => s === 1), `a tiny budget gives one-row chunks, got steps ${small.steps.join(',')}`);
      assert.ok(dflt.steps.length < small.steps.length && dflt.steps.some((s) => s > 1), `the default budget batches rows, got steps ${dflt.steps.join(',')}`);
      // Batching changes float32 summation order at most.
      small.values.forEach((v, i) => assert.ok(Math.abs(v - dflt.values[i]) <= 1e-4, `value ${i}: ${v} vs ${dflt.values[i]}`));
    } finally {
      await model.dispose();
    }
  });
}

test('the CLI passes --memory-budget through: a tiny budget gives the same numbers', async () => {
  const small = await cli('patch', '--kind', 'resid_pre', '--spec', SPEC, '--memory-budget', '0.0001');
  assert.equal(small.code, 0, small.err);
  const dflt = await cli('patch', '--kind', 'resid_pre', '--spec', SPEC);
  assert.equal(dflt.code, 0, dflt.err);
  const [x, y] = [values(small.out), values(dflt.out)];
  assert.equal(x.length, y.length);
  x.forEach((v, i) => assert.ok(Math.abs(v - y[i]) <= 1e-4, `value ${i}: ${v} vs ${y[i]}`));
});

test('a memory budget that is not a positive number is a usage error (exit 2, one line)', async () => {
  for (const bad of ['0', '-5', 'lots']) {
    const r = await cli('patch', '--kind', 'resid_pre', '--spec', SPEC, '--memory-budget', bad);
    assert.equal(r.code, 2, `${bad}: ${r.err}`);
    const first = r.err.split('\n')[0];
    assert.match(first, /^error: patch: --memory-budget must be a (positive )?number/);
  }
});
