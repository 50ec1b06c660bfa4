/**
 * Y = A · Bᵀ as a graph with every dim symbolic, so one session serves every shape: the
 * matrix products analyses do outside the forward graphs (`Model.matmulTransposed`).
 * Both operands are inputs (a backward pass feeds the block weights it already holds;
 * ONNX Runtime reads a Float32Array input without copying it).
 */
import { GraphBuilder } from './builder';

export const GEMM_A = 'a';
export const GEMM_B = 'b';
export const GEMM_Y = 'y';

export function buildGemmTransBGraph(): Uint8Array {
  const g = new GraphBuilder('gemm_trans_b');
  const a = g.input(GEMM_A, 'float', ['M', 'K']);
  const b = g.input(GEMM_B, 'float', ['N', 'K']);
  g.node('Gemm', [a, b], { transB: 1 }, GEMM_Y);
  g.output(GEMM_Y, 'float', ['M', 'N']);
  return g.build();
}
