// How circuitExplorer.memoryBudgetMB is split (src/extension/memoryBudget.ts): the engine's
// heap limit and the sweeps' chunk budget, and which requests get the chunk budget.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OpRequest } from '../../src/protocol/ops';
import { heapLimitMB, MIN_HEAP_MB, sweepBudgetMB, withSweepBudget } from '../../src/extension/memoryBudget';

const spec = { prompts: [{ clean: 'a', corrupted: 'b', answer: ' c', wrong: ' d' }] };

test('the sweep chunk is a quarter of the budget and never above the heap limit', () => {
  // package.json: default 4096, minimum 256.
  assert.equal(sweepBudgetMB(4096), 1024, 'the default setting gives the engine\'s default chunk');
  assert.equal(heapLimitMB(4096), 4096);
  for (const b of [256, 300, 1000, 1024, 4096, 16384, 100000]) {
    const chunk = sweepBudgetMB(b);
    assert.ok(chunk > 0 && chunk <= b / 4 + 64, `${b}: chunk ${chunk}`);
    assert.ok(heapLimitMB(b) >= b && heapLimitMB(b) >= MIN_HEAP_MB, `${b}: heap ${heapLimitMB(b)}`);
    assert.ok(chunk < heapLimitMB(b));
    assert.ok(Number.isInteger(heapLimitMB(b)), 'the --max-old-space-size flag takes whole MB');
  }
  // Monotone: a bigger budget never means smaller chunks.
  for (let b = 256; b < 20000; b += 97) assert.ok(sweepBudgetMB(b + 97) >= sweepBudgetMB(b));
});

test('only the sweeping ops get the budget, and an explicit value is kept', () => {
  const patch: OpRequest = { op: 'patch', spec, kind: 'resid_pre' };
  const path: OpRequest = { op: 'path-patch', spec, receivers: ['2.0'], receiverInput: 'q' };
  assert.equal((withSweepBudget(patch, 4096) as { memoryBudgetMB?: number }).memoryBudgetMB, 1024);
  assert.equal((withSweepBudget(path, 2048) as { memoryBudgetMB?: number }).memoryBudgetMB, 512);
  assert.equal(patch.memoryBudgetMB, undefined, 'the caller\'s request (saved as the run\'s spec) is not changed');
  const explicit: OpRequest = { ...patch, memoryBudgetMB: 7 };
  assert.equal((withSweepBudget(explicit, 4096) as { memoryBudgetMB?: number }).memoryBudgetMB, 7);
  const tp: OpRequest = { op: 'test-prompt', prompt: 'x', answer: ' y' };
  assert.deepEqual(withSweepBudget(tp, 4096), { op: 'test-prompt', prompt: 'x', answer: ' y' });
  assert.ok(!('memoryBudgetMB' in withSweepBudget({ op: 'dla', spec }, 4096)));
});
