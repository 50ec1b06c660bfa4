/**
 * A small typed ONNX graph builder over onnx-proto (opset 17, IR version 8).
 * Each op method returns the name of its (first) output, so graphs read like the math:
 *   const y = g.add(g.matMul(x, W), b);
 * Names of outputs that are graph outputs (hook names) are passed explicitly as `out`.
 */
import { onnx } from 'onnx-proto';
import type { Tensor } from '../tensor';

const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

export type ElemType = 'float' | 'int64' | 'bool';
/** A dim: fixed size, or a symbolic name such as 'batch' / 'pos'. */
export type Dim = number | string;

const ELEM: Record<ElemType, number> = { float: DT.FLOAT, int64: DT.INT64, bool: DT.BOOL };

type AttrValue = number | number[] | { float: number } | onnx.ITensorProto;

function attr(name: string, v: AttrValue): onnx.IAttributeProto {
  if (typeof v === 'number') return { name, type: AT.INT, i: v };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  if ('float' in v && typeof v.float === 'number') return { name, type: AT.FLOAT, f: v.float };
  return { name, type: AT.TENSOR, t: v as onnx.ITensorProto };
}

function valueInfo(name: string, elem: ElemType, dims: readonly Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[elem],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

const IS_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Raw little-endian float32 bytes; a view (no copy) on little-endian machines. */
function floatBytes(data: Float32Array): Uint8Array {
  if (IS_LE) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly inits: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly constCache = new Map<string, string>();
  private counter = 0;

  constructor(private readonly name: string) {}

  /** A fresh internal value name. */
  fresh(hint: string): string {
    return `${hint}__${this.counter++}`;
  }

  input(name: string, elem: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, elem, dims));
    return name;
  }

  output(name: string, elem: ElemType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, elem, dims));
  }

  /** A float32 initializer (weights stay in the graph; a GPU session uploads them once). */
  initializer(name: string, t: Tensor | { dims: readonly number[]; data: Float32Array }): string {
    this.inits.push({ name, dims: [...t.dims], dataType: DT.FLOAT, rawData: floatBytes(t.data) });
    return name;
  }

  /** An int64 constant (shapes, axes, indices), deduplicated. */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh('const_i64');
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.inits.push({ name, dims: [...dims], dataType: DT.INT64, rawData: raw });
    this.constCache.set(key, name);
    return name;
  }

  /** A float32 scalar constant (shape []), deduplicated; -Infinity allowed. */
  scalar(v: number): string {
    const key = `f32:${Object.is(v, -0) ? '-0' : String(v)}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh('const_f32');
    this.inits.push({ name, dims: [], dataType: DT.FLOAT, rawData: floatBytes(Float32Array.of(v)) });
    this.constCache.set(key, name);
    return name;
  }

  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string): string {
    const o = out ?? this.fresh(opType.toLowerCase());
    this.nodes.push({
      opType,
      input: inputs,
      output: [o],
      name: this.fresh(`n_${opType}`),
      attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)),
    });
    return o;
  }

  add(a: string, b: string, out?: string): string { return this.node('Add', [a, b], {}, out); }
  sub(a: string, b: string, out?: string): string { return this.node('Sub', [a, b], {}, out); }
  mul(a: string, b: string, out?: string): string { return this.node('Mul', [a, b], {}, out); }
  div(a: string, b: string, out?: string): string { return this.node('Div', [a, b], {}, out); }
  matMul(a: string, b: string, out?: string): string { return this.node('MatMul', [a, b], {}, out); }
  sqrt(a: string, out?: string): string { return this.node('Sqrt', [a], {}, out); }
  tanh(a: string, out?: string): string { return this.node('Tanh', [a], {}, out); }
  erf(a: string, out?: string): string { return this.node('Erf', [a], {}, out); }
  relu(a: string, out?: string): string { return this.node('Relu', [a], {}, out); }
  softmax(a: string, axis: number, out?: string): string { return this.node('Softmax', [a], { axis }, out); }
  reduceMean(a: string, axes: number[], out?: string): string { return this.node('ReduceMean', [a], { axes, keepdims: 1 }, out); }
  transpose(a: string, perm: number[], out?: string): string { return this.node('Transpose', [a], { perm }, out); }
  reshape(a: string, shape: readonly number[], out?: string): string { return this.node('Reshape', [a, this.int64(shape)], {}, out); }
  reshapeTo(a: string, shape: string, out?: string): string { return this.node('Reshape', [a, shape], {}, out); }
  gather(data: string, indices: string, axis: number, out?: string): string { return this.node('Gather', [data, indices], { axis }, out); }
  where(cond: string, x: string, y: string, out?: string): string { return this.node('Where', [cond, x, y], {}, out); }
  castBool(a: string, out?: string): string { return this.node('Cast', [a], { to: DT.BOOL }, out); }
  castFloat(a: string, out?: string): string { return this.node('Cast', [a], { to: DT.FLOAT }, out); }
  concat(xs: string[], axis: number, out?: string): string { return this.node('Concat', xs, { axis }, out); }
  expand(a: string, shape: string, out?: string): string { return this.node('Expand', [a, shape], {}, out); }
  /** Shape(a)[start:end] as an int64 1-D tensor. */
  shape(a: string, start?: number, end?: number, out?: string): string {
    const attrs: Record<string, number> = {};
    if (start !== undefined) attrs.start = start;
    if (end !== undefined) attrs.end = end;
    return this.node('Shape', [a], attrs, out);
  }
  /** Slice with starts/ends/axes as int64 tensor names (ends may be dynamic). */
  slice(a: string, starts: string, ends: string, axes: string, out?: string): string {
    return this.node('Slice', [a, starts, ends, axes], {}, out);
  }
  /** Lower (upper=0) or upper (upper=1) triangle, keeping diagonal offset k = 0. */
  trilu(a: string, upper: 0 | 1, out?: string): string { return this.node('Trilu', [a], { upper }, out); }
  constantOfShape(shape: string, value: number, out?: string): string {
    return this.node('ConstantOfShape', [shape], { value: { dims: [1], dataType: DT.FLOAT, floatData: [value] } }, out);
  }

  /** Serialised ModelProto, ready for `InferenceSession.create(bytes)`. */
  build(): Uint8Array {
    const model: onnx.IModelProto = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      producerName: 'circuit-explorer',
      graph: { name: this.name, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}
