/**
 * TypeScript side of test/support/torch_save.py, the independent torch.save writer
 * (Python's own pickle and zipfile, no torch): write a spec, run the writer, and re-save a
 * safetensors checkpoint folder as pytorch_model.bin (single or sharded).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpointTensors } from '../../src/engine/checkpoint/open';
import type { SafetensorsDtype } from '../../src/engine/checkpoint/safetensors';

const WRITER = join(__dirname, 'torch_save.py');

let python: string | undefined;
/** The interpreter itself, resolved once (a version manager's shim costs a few hundred ms a start). */
export function pythonPath(): string {
  if (python === undefined) {
    const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
    python = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : '';
  }
  return python;
}

/** Why the torch tests skip, or false when python3 is there. */
export function pythonMissing(): string | false {
  return pythonPath() ? false : 'python3 is not installed: the torch.save reference writer needs it';
}

export interface TorchTensorSpec {
  name: string;
  dtype?: SafetensorsDtype;
  shape?: number[];
  values?: number[];
  /** Raw little-endian float32 values. */
  file?: string;
  seed?: number;
  storage_offset?: number;
  transpose?: boolean;
  tie?: string;
}

export interface TorchSaveSpec {
  tensors: TorchTensorSpec[];
  archive?: string;
  byteorder?: 'little' | 'big' | null;
  compress?: boolean;
  zip64?: boolean;
  omit_storage_of?: string;
  data_pkl_hex?: string;
  evil_command?: string;
}

/** Run the Python writer: `spec` → `out` (a torch.save zip). */
export function writeTorchCheckpoint(out: string, spec: TorchSaveSpec): string {
  const specPath = `${out}.spec.json`;
  writeFileSync(specPath, JSON.stringify(spec));
  const r = spawnSync(pythonPath(), [WRITER, specPath, out], { encoding: 'utf8' });
  rmSync(specPath, { force: true });
  if (r.status !== 0) throw new Error(`torch_save.py failed (${r.status}): ${r.stderr}`);
  return out;
}

export interface ResaveOptions {
  /** Store every tensor in this dtype (default F32; values must be representable, as they are when the source has it). */
  dtype?: SafetensorsDtype;
  /** Split into this many pytorch_model-0000i-of-0000n.bin shards with an index. */
  shards?: number;
  /** Tensor names to store with a storage offset / transposed / as a second view of another's storage. */
  offset?: string[];
  transpose?: string[];
  tie?: Record<string, string>;
}

/**
 * Copy `src` (config, tokenizer, safetensors weights) into `dst` with the weights re-saved
 * as pytorch_model.bin by the Python writer. Returns `dst`.
 */
export async function resaveAsTorch(src: string, dst: string, o: ResaveOptions = {}): Promise<string> {
  mkdirSync(dst, { recursive: true });
  for (const f of readdirSync(src)) if (!f.includes('safetensors')) copyFileSync(join(src, f), join(dst, f));
  const raw = join(dst, 'raw');
  mkdirSync(raw, { recursive: true });
  const weights = await openCheckpointTensors(src);
  const specs: TorchTensorSpec[] = [];
  try {
    for (const [i, name] of weights.names().entries()) {
      const target = o.tie?.[name];
      if (target) {
        specs.push({ name, tie: target });
        continue;
      }
      const t = await weights.read(name);
      const file = join(raw, `${i}.f32`);
      writeFileSync(file, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      specs.push({
        name, dtype: o.dtype ?? 'F32', shape: [...t.dims], file,
        ...(o.offset?.includes(name) ? { storage_offset: 3 } : {}),
        ...(o.transpose?.includes(name) ? { transpose: true } : {}),
      });
    }
  } finally {
    await weights.close();
  }
  const shards = o.shards ?? 1;
  if (shards <= 1) {
    writeTorchCheckpoint(join(dst, 'pytorch_model.bin'), { tensors: specs });
  } else {
    // Tied names go in the shard of the tensor they view.
    const weightMap: Record<string, string> = {};
    const own = specs.filter((s) => !s.tie);
    const per = Math.ceil(own.length / shards);
    for (let s = 0; s < shards; s++) {
      const file = `pytorch_model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.bin`;
      const part = own.slice(s * per, (s + 1) * per);
      const names = new Set(part.map((p) => p.name));
      part.push(...specs.filter((p) => p.tie && names.has(p.tie)));
      for (const p of part) weightMap[p.name] = file;
      writeTorchCheckpoint(join(dst, file), { tensors: part, archive: file.replace(/\.bin$/, '') });
    }
    writeFileSync(join(dst, 'pytorch_model.bin.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2));
  }
  rmSync(raw, { recursive: true, force: true });
  return dst;
}
