/**
 * The project's own tensor: a flat row-major Float32Array with its dims.
 * Everything outside `runtime.ts` sees this type, never an onnxruntime tensor.
 * Doc comments name the dims the way TransformerLens's jaxtyping annotations do,
 * e.g. `Tensor /* [batch, pos, d_model] *\/`.
 */
export interface Tensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export function tensor(dims: readonly number[], data?: Float32Array | number[]): Tensor {
  const size = dims.reduce((a, b) => a * b, 1);
  const d = data === undefined ? new Float32Array(size) : data instanceof Float32Array ? data : Float32Array.from(data);
  if (d.length !== size) throw new Error(`tensor: data length ${d.length} does not match dims [${dims.join(',')}]`);
  return { dims: [...dims], data: d };
}

/** Row-major strides for dims. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}
