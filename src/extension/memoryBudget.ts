/**
 * How the `circuitExplorer.memoryBudgetMB` setting (the engine process's budget) is split.
 * Pure, so the arithmetic is unit-tested.
 *
 * - Heap limit (`--max-old-space-size`): the budget, at least 1 GB. The V8 heap holds the
 *   results as plain arrays and their JSON on the way over IPC; the activations are typed
 *   arrays and the weights live in ONNX Runtime, both outside that limit.
 * - Sweep chunk (patch / path-patch `memoryBudgetMB`): a quarter of the budget. The chunk
 *   estimate counts the tensors the sweep itself keeps; ONNX Runtime allocates about as
 *   much again inside each run, and the clean/corrupted caches and the weights stay
 *   resident, so a quarter keeps the process near its budget. The default 4096 MB gives
 *   the engine's own default chunk, 1024 MB.
 */
import type { OpRequest } from '../protocol/ops';

export const MIN_HEAP_MB = 1024;

export function heapLimitMB(budgetMB: number): number {
  return Math.max(MIN_HEAP_MB, Math.round(budgetMB));
}

export function sweepBudgetMB(budgetMB: number): number {
  return Math.max(64, Math.floor(budgetMB / 4));
}

/** The request with the sweep's share of the budget, for the ops that sweep; others unchanged. An explicit value is kept. */
export function withSweepBudget<R extends OpRequest>(req: R, budgetMB: number): R {
  if ((req.op === 'patch' || req.op === 'path-patch') && req.memoryBudgetMB === undefined) return { ...req, memoryBudgetMB: sweepBudgetMB(budgetMB) };
  return req;
}
