/**
 * PyTorch checkpoints (`pytorch_model.bin`: torch.save's zip format, the default since
 * torch 1.6) read without running them. `torch.load` unpickles data.pkl with Python's
 * unpickler, which calls whatever the pickle names; here data.pkl goes through pickle.ts,
 * whose every global must be one of the few below (OrderedDict, the tensor rebuilders,
 * the float storage classes), so a malicious file can only fail to load.
 *
 * Layout: `<archive>/data.pkl` (the state dict, tensors as storage references),
 * `<archive>/data/<key>` (each storage's raw little-endian bytes), `<archive>/byteorder`.
 * Opening reads the zip directory and data.pkl; `read(name)` reads only that tensor's bytes.
 */
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { UserError } from '../errors';
import { strides, tensor } from '../tensor';
import type { Tensor } from '../tensor';
import { unpickle } from './pickle';
import type { PickleCallable, PickleHost } from './pickle';
import { decode, DTYPE_BYTES, numelOf } from './safetensors';
import type { SafetensorsDtype, TensorSource } from './safetensors';
import { readZipEntries, readZipEntry } from './zip';
import type { ZipEntry } from './zip';

/** A persistent id `('storage', torch.FloatStorage, key, location, numel)` resolved. */
interface StorageRef {
  entry: ZipEntry;
  key: string;
  dtype: SafetensorsDtype;
  numel: number;
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, …)`: a view of a storage. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

class StorageType {
  constructor(readonly dtype: SafetensorsDtype) {}
}

const STORAGE_TYPES: Record<string, SafetensorsDtype> = { FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16' };

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** The whitelist: what each allowed global builds, and storage references for BINPERSID. */
function torchHost(file: string, entries: Map<string, ZipEntry>, prefix: string): PickleHost {
  const bad = (why: string): never => {
    throw new UserError(`corrupt checkpoint ${file}: ${why}`);
  };
  const fn = (qualifiedName: string, call: (args: unknown[]) => unknown): PickleCallable => ({ qualifiedName, call });
  const rebuildTensor = fn('torch._utils._rebuild_tensor_v2', ([storage, offset, size, stride]) => {
    if (!(storage instanceof Object) || !('entry' in storage)) bad('a tensor without a storage');
    if (!isCount(offset) || !Array.isArray(size) || !Array.isArray(stride) || !size.every(isCount) || !stride.every(isCount) || size.length !== stride.length) {
      bad('a tensor with a bad offset, size or stride');
    }
    const t = new TensorRef(storage as StorageRef, offset as number, size as number[], stride as number[]);
    // The furthest element the view touches must lie inside its storage.
    const numel = numelOf(t.size);
    const last = t.offset + t.size.reduce((a, n, i) => a + (n - 1) * t.stride[i], 0);
    if (numel > 0 && last >= t.storage.numel) bad(`a tensor [${t.size.join(',')}] at offset ${t.offset} runs past its storage '${t.storage.key}' of ${t.storage.numel} elements`);
    return t;
  });
  const parameter = (name: string) =>
    fn(`torch._utils.${name}`, ([data]) => (data instanceof TensorRef ? data : bad(`${name} of something that is not a tensor`)));
  const orderedDict = fn('collections.OrderedDict', (args) => {
    const d = new Map<unknown, unknown>();
    // OrderedDict() or OrderedDict([(k, v), …]).
    if (args.length > 0 && Array.isArray(args[0])) for (const kv of args[0]) if (Array.isArray(kv) && kv.length === 2) d.set(kv[0], kv[1]);
    return d;
  });
  const globals: Record<string, PickleCallable | StorageType> = {
    'collections.OrderedDict': orderedDict,
    'torch._utils._rebuild_tensor_v2': rebuildTensor,
    'torch._utils._rebuild_parameter': parameter('_rebuild_parameter'),
    'torch._utils._rebuild_parameter_with_state': parameter('_rebuild_parameter_with_state'),
  };
  for (const [cls, dtype] of Object.entries(STORAGE_TYPES)) globals[`torch.${cls}`] = new StorageType(dtype);
  return {
    global(module, name) {
      const g = Object.hasOwn(globals, `${module}.${name}`) ? globals[`${module}.${name}`] : undefined;
      if (!g) {
        const hint = module === 'torch' && name.endsWith('Storage') ? ' (float32, float16 and bfloat16 tensors load)' : '';
        throw new UserError(`unsupported object ${module}.${name} in ${file}: only tensors and dicts load${hint}`);
      }
      return g;
    },
    persistentLoad(pid) {
      if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') bad('a persistent id that is not a storage');
      const [, type, key, , numel] = pid as unknown[];
      if (!(type instanceof StorageType) || typeof key !== 'string' || !isCount(numel)) bad('a malformed storage reference');
      const k = key as string;
      const entry = entries.get(`${prefix}data/${k}`);
      if (!entry) throw new UserError(`corrupt checkpoint ${file}: storage '${k}' is missing from the archive (no entry ${prefix}data/${k})`);
      const dtype = (type as StorageType).dtype;
      if (entry.size < (numel as number) * DTYPE_BYTES[dtype]) bad(`storage '${k}' has ${entry.size} bytes for ${String(numel)} ${dtype} elements`);
      return { entry, key: k, dtype, numel: numel as number } satisfies StorageRef;
    },
    build(obj) {
      // OrderedDict's state is its `_metadata` attribute (module versions), a parameter's
      // its Python attributes: neither changes the numbers.
      if (!(obj instanceof Map) && !(obj instanceof TensorRef)) bad('BUILD on an object that is neither a dict nor a tensor');
    },
  };
}

/** The folder every entry shares (`archive/`, or the file stem in older torch versions). */
function archivePrefix(file: string, entries: Map<string, ZipEntry>): string {
  for (const name of entries.keys()) {
    const m = /^([^/]+\/)data\.pkl$/.exec(name);
    if (m) return m[1];
  }
  throw new UserError(`no data.pkl in ${file}: not a torch.save checkpoint`);
}

function isContiguous(size: readonly number[], stride: readonly number[]): boolean {
  const want = strides(size);
  return size.every((n, i) => n <= 1 || stride[i] === want[i]);
}

/** One pytorch_model.bin: zip directory and state dict parsed, tensor data read on demand. */
export class TorchCheckpoint implements TensorSource {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly tensors: Map<string, TensorRef>,
  ) {}

  static async open(path: string): Promise<TorchCheckpoint> {
    if (!existsSync(path)) throw new UserError(`checkpoint file not found: ${path}`);
    const size = (await stat(path)).size;
    const fh = await open(path, 'r');
    try {
      const entries = await readZipEntries(fh, path, size);
      const prefix = archivePrefix(path, entries);
      const order = entries.get(`${prefix}byteorder`);
      if (order) {
        const text = (await readZipEntry(fh, path, order)).toString('utf8').trim();
        if (text !== 'little') throw new UserError(`unsupported byte order '${text}' in ${path}: only little-endian checkpoints load (re-save on a little-endian machine)`);
      }
      const pkl = await readZipEntry(fh, path, entries.get(`${prefix}data.pkl`)!);
      const root = unpickle(pkl, path, torchHost(path, entries, prefix));
      if (!(root instanceof Map)) throw new UserError(`unsupported checkpoint ${path}: data.pkl holds no state dict (a dict of tensors)`);
      const tensors = new Map<string, TensorRef>();
      for (const [k, v] of root) if (typeof k === 'string' && v instanceof TensorRef) tensors.set(k, v);
      return new TorchCheckpoint(path, fh, tensors);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  private ref(name: string): TensorRef {
    const t = this.tensors.get(name);
    if (!t) throw new UserError(`tensor '${name}' not found in ${this.path}`);
    return t;
  }

  shape(name: string): number[] {
    return [...this.ref(name).size];
  }

  async read(name: string): Promise<Tensor> {
    const t = this.ref(name);
    const { entry, dtype } = t.storage;
    const numel = numelOf(t.size);
    const contiguous = isContiguous(t.size, t.stride);
    // A contiguous view is one byte range; another (a transposed view, rare in checkpoints)
    // reads the span it touches and gathers.
    const span = numel === 0 ? 0 : contiguous ? numel : 1 + t.size.reduce((a, n, i) => a + (n - 1) * t.stride[i], 0);
    const itemsize = DTYPE_BYTES[dtype];
    // A fresh ArrayBuffer (not Buffer's pool), so typed views start at offset 0, aligned.
    const bytes = new Uint8Array(new ArrayBuffer(span * itemsize));
    const { bytesRead } = await this.fh.read(bytes, 0, bytes.length, entry.dataStart + t.offset * itemsize);
    if (bytesRead !== bytes.length) throw new UserError(`truncated checkpoint ${this.path}: tensor '${name}' is cut off`);
    const flat = decode(bytes, dtype, span);
    return tensor(t.size, contiguous ? flat : gather(flat, t.size, t.stride));
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Row-major copy of the strided view `size`/`stride` over `flat`. */
function gather(flat: Float32Array, size: readonly number[], stride: readonly number[]): Float32Array {
  const out = new Float32Array(numelOf(size));
  const idx = new Array<number>(size.length).fill(0);
  let src = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = flat[src];
    // Odometer over the dims, last fastest.
    for (let d = size.length - 1; d >= 0; d--) {
      if (++idx[d] < size[d]) {
        src += stride[d];
        break;
      }
      src -= (size[d] - 1) * stride[d];
      idx[d] = 0;
    }
  }
  return out;
}
