/**
 * Our own safetensors reader/writer (format: u64 LE header length, JSON header, raw
 * little-endian data). Tensors are read lazily: opening a file reads only its header,
 * and `read(name)` reads only that tensor's bytes, so a checkpoint never sits in memory
 * twice. F16 and BF16 are widened to float32 on read.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors';
import { tensor } from '../tensor';
import type { Tensor } from '../tensor';
// A cycle, used only inside functions: torchZip.ts reuses this file's decoding.

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

/** Bytes per element; shared with the torch checkpoint reader (torchZip.ts). */
export const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
const BYTES = DTYPE_BYTES;
/** Refuse absurd header lengths before allocating (real headers are at most a few MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

/** A source of named tensors: one safetensors file or a sharded checkpoint. */
export interface TensorSource {
  readonly path: string;
  names(): string[];
  has(name: string): boolean;
  shape(name: string): number[];
  read(name: string): Promise<Tensor>;
  close(): Promise<void>;
}

// 65536-entry table: converting a 124M-parameter F16 checkpoint is then one lookup each.
let f16Table: Float32Array | undefined;
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  f16Table = t;
  return t;
}

/** Widen raw little-endian bytes (own ArrayBuffer, offset 0) to float32 (F32: a view, no copy). */
export function decode(bytes: Uint8Array, dtype: SafetensorsDtype, count: number): Float32Array {
  if (dtype === 'F32') return new Float32Array(bytes.buffer, 0, count);
  // Typed-array views read host byte order; every platform Node ships on is little-endian.
  const half = new Uint16Array(bytes.buffer, 0, count);
  const out = new Float32Array(count);
  if (dtype === 'F16') {
    const table = halfTable();
    for (let i = 0; i < count; i++) out[i] = table[half[i]];
    return out;
  }
  // BF16 is the top half of a float32.
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) u[i] = half[i] << 16;
  return out;
}

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** One .safetensors file, header parsed, data read on demand. */
export class SafetensorsFile implements TensorSource {
  /** Raw bytes of the last half-precision read (decoded, never handed out); see `read`. */
  private scratch: ArrayBuffer | undefined;
  /** A read is using `scratch` (concurrent reads get their own buffer). */
  private scratchBusy = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly entries: Map<string, TensorEntry>,
    readonly metadata: Record<string, string>,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    if (!existsSync(path)) throw new UserError(`safetensors file not found: ${path}`);
    const size = (await stat(path)).size;
    if (size < 8) throw new UserError(`truncated safetensors file ${path}: ${size} bytes, no header length`);
    const fh = await open(path, 'r');
    try {
      const lenBuf = Buffer.alloc(8);
      await fh.read(lenBuf, 0, 8, 0);
      const headerLen = Number(lenBuf.readBigUInt64LE(0));
      if (headerLen > size - 8 || headerLen > MAX_HEADER_BYTES) {
        throw new UserError(`corrupt safetensors file ${path}: header length ${headerLen} runs past the end of the file (${size} bytes)`);
      }
      const headerBuf = Buffer.alloc(headerLen);
      await fh.read(headerBuf, 0, headerLen, 8);
      let header: unknown;
      try {
        header = JSON.parse(headerBuf.toString('utf8'));
      } catch (e) {
        throw new UserError(`corrupt safetensors file ${path}: header is not valid JSON (${(e as Error).message.split('\n')[0]})`);
      }
      if (typeof header !== 'object' || header === null || Array.isArray(header)) {
        throw new UserError(`corrupt safetensors file ${path}: header is not a JSON object`);
      }
      const dataStart = 8 + headerLen;
      const entries = new Map<string, TensorEntry>();
      let metadata: Record<string, string> = {};
      for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
        if (name === '__metadata__') {
          metadata = (raw ?? {}) as Record<string, string>;
          continue;
        }
        entries.set(name, parseEntry(path, name, raw, dataStart, size));
      }
      return new SafetensorsFile(path, fh, entries, metadata);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  entry(name: string): TensorEntry {
    const e = this.entries.get(name);
    if (!e) throw new UserError(`tensor '${name}' not found in ${this.path}`);
    return e;
  }

  shape(name: string): number[] {
    return [...this.entry(name).shape];
  }

  async read(name: string): Promise<Tensor> {
    const e = this.entry(name);
    const size = e.end - e.begin;
    // F32 is read straight into the tensor's own buffer. F16/BF16 bytes are only decoded,
    // so they go through one scratch buffer reused across reads: fresh memory costs page
    // faults (gpt2-small: 250 MB of them, about a second on a small VM). A fresh
    // ArrayBuffer (not Buffer's pool) either way, so typed views start at offset 0, aligned.
    const scratch = e.dtype !== 'F32' && !this.scratchBusy;
    let bytes: Uint8Array;
    if (scratch) {
      if (!this.scratch || this.scratch.byteLength < size) this.scratch = new ArrayBuffer(size);
      bytes = new Uint8Array(this.scratch, 0, size);
      this.scratchBusy = true;
    } else {
      bytes = new Uint8Array(new ArrayBuffer(size));
    }
    try {
      const { bytesRead } = await this.fh.read(bytes, 0, size, e.begin);
      if (bytesRead !== size) throw new UserError(`truncated safetensors file ${this.path}: tensor '${name}' is cut off`);
      return tensor(e.shape, decode(bytes, e.dtype, numelOf(e.shape)));
    } finally {
      if (scratch) this.scratchBusy = false;
    }
  }

  async close(): Promise<void> {
    this.scratch = undefined;
    await this.fh.close();
  }
}

function parseEntry(path: string, name: string, raw: unknown, dataStart: number, size: number): TensorEntry {
  const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  const bad = (why: string) => new UserError(`corrupt safetensors file ${path}: tensor '${name}' ${why}`);
  if (typeof r !== 'object' || r === null) throw bad('has no description');
  if (typeof r.dtype !== 'string' || !(r.dtype in BYTES)) {
    throw new UserError(`unsupported dtype '${String(r.dtype)}' of tensor '${name}' in ${path}: supported are F32, F16, BF16`);
  }
  const dtype = r.dtype as SafetensorsDtype;
  if (!Array.isArray(r.shape) || !r.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad('has a bad shape');
  const off = r.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0) || off[1] < off[0]) {
    throw bad('has bad data_offsets');
  }
  const shape = r.shape as number[];
  const begin = dataStart + (off[0] as number);
  const end = dataStart + (off[1] as number);
  if (end - begin !== numelOf(shape) * BYTES[dtype]) throw bad(`has ${end - begin} bytes for shape [${shape.join(',')}] ${dtype}`);
  if (end > size) throw new UserError(`truncated safetensors file ${path}: tensor '${name}' data runs past the end of the file (${end} > ${size} bytes)`);
  return { dtype, shape, begin, end };
}

/** Opens one shard of a sharded checkpoint. */
export type ShardOpener = (path: string) => Promise<TensorSource>;

/**
 * A checkpoint split over shards by an index file's `weight_map` (tensor name → shard file):
 * model.safetensors.index.json, or pytorch_model.bin.index.json with a torch opener.
 */
export class ShardedCheckpoint implements TensorSource {
  protected constructor(
    readonly path: string,
    private readonly weightMap: Map<string, string>,
    private readonly shards: Map<string, TensorSource>,
  ) {}

  static async open(indexPath: string, openShard: ShardOpener): Promise<ShardedCheckpoint> {
    if (!existsSync(indexPath)) throw new UserError(`checkpoint index not found: ${indexPath}`);
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(readFileSync(indexPath, 'utf8'));
    } catch (e) {
      throw new UserError(`corrupt checkpoint index ${indexPath}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
    }
    if (!index || typeof index.weight_map !== 'object' || index.weight_map === null) {
      throw new UserError(`corrupt checkpoint index ${indexPath}: no weight_map`);
    }
    const weightMap = new Map(Object.entries(index.weight_map));
    const shards = new Map<string, TensorSource>();
    try {
      for (const file of new Set(weightMap.values())) {
        if (typeof file !== 'string' || file !== basename(file)) throw new UserError(`corrupt checkpoint index ${indexPath}: shard '${String(file)}' is not a plain file name`);
        shards.set(file, await openShard(join(dirname(indexPath), file)));
      }
    } catch (e) {
      await Promise.all([...shards.values()].map((s) => s.close()));
      throw e;
    }
    return new this(indexPath, weightMap, shards);
  }

  names(): string[] {
    return [...this.weightMap.keys()];
  }

  has(name: string): boolean {
    return this.weightMap.has(name);
  }

  private shard(name: string): TensorSource {
    const file = this.weightMap.get(name);
    if (!file) throw new UserError(`tensor '${name}' not found in ${this.path}`);
    return this.shards.get(file)!;
  }

  shape(name: string): number[] {
    return this.shard(name).shape(name);
  }

  async read(name: string): Promise<Tensor> {
    return this.shard(name).read(name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.shards.values()].map((s) => s.close()));
  }
}

/** Shards that are safetensors files (model.safetensors.index.json). */
export class ShardedSafetensors extends ShardedCheckpoint {
  static override async open(indexPath: string, openShard: ShardOpener = SafetensorsFile.open): Promise<ShardedSafetensors> {
    return super.open(indexPath, openShard);
  }
}


/** Round-to-nearest-even float32 → float16 bits. */
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);
export function floatToHalf(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // may carry into the exponent: still correct
  return sign | h;
}

function encode(data: Float32Array, dtype: SafetensorsDtype): Buffer {
  if (dtype === 'F32') return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // Typed-array views write host byte order; every platform Node ships on is little-endian.
  const out = new Uint16Array(data.length);
  if (dtype === 'F16') {
    for (let i = 0; i < data.length; i++) out[i] = floatToHalf(data[i]);
  } else {
    // BF16: the top half of the float32, rounded to nearest even.
    const u = new Uint32Array(data.buffer, data.byteOffset, data.length);
    for (let i = 0; i < data.length; i++) {
      const x = u[i];
      out[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
    }
  }
  return Buffer.from(out.buffer);
}

export interface WritableTensor {
  dims: readonly number[];
  /** The values, or a function making them when written (keeps big checkpoints out of memory). */
  data: Float32Array | (() => Float32Array);
  dtype?: SafetensorsDtype;
}

/** Write a safetensors file (tests and scripts/make-tiny.ts). Streams tensor by tensor. */
export function writeSafetensors(path: string, tensors: Record<string, WritableTensor>, metadata?: Record<string, string>): void {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name];
    const dtype = t.dtype ?? 'F32';
    const bytes = numelOf(t.dims) * BYTES[dtype];
    header[name] = { dtype, shape: [...t.dims], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align data to 8 bytes, as HF does
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, len);
    writeSync(fd, Buffer.from(json, 'utf8'));
    for (const name of names) {
      const t = tensors[name];
      const data = typeof t.data === 'function' ? t.data() : t.data;
      if (data.length !== numelOf(t.dims)) throw new Error(`writeSafetensors: '${name}' has ${data.length} values for dims [${t.dims.join(',')}]`);
      writeSync(fd, encode(data, t.dtype ?? 'F32'));
    }
  } finally {
    closeSync(fd);
  }
}
