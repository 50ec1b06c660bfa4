/**
 * The pytorch_model.bin reader against files written by test/support/torch_save.py
 * (Python's own pickle and zipfile; no torch): dtypes, storage offsets, strided views, tied
 * storages, zip64, lazy reads; the pickle reader against Python's pickler on plain data; and
 * hostile or broken files, which must fail with one line naming the file and run nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { unpickle } from '../../src/engine/checkpoint/pickle';
import { TorchCheckpoint } from '../../src/engine/checkpoint/torchZip';
import { UserError } from '../../src/engine/errors';
import { pythonMissing, pythonPath, writeTorchCheckpoint } from '../support/torchSave';
import type { TorchSaveSpec } from '../support/torchSave';
import { expectUserError } from '../support/userErrors';

const skip = pythonMissing();
const dir = mkdtempSync(join(tmpdir(), 'ce-torchzip-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const write = (spec: TorchSaveSpec) => writeTorchCheckpoint(join(dir, `t${n++}.bin`), spec);

async function readAll(path: string): Promise<Record<string, { dims: number[]; data: number[] }>> {
  const c = await TorchCheckpoint.open(path);
  try {
    const out: Record<string, { dims: number[]; data: number[] }> = {};
    for (const name of c.names()) {
      const t = await c.read(name);
      out[name] = { dims: [...t.dims], data: [...t.data] };
    }
    return out;
  } finally {
    await c.close();
  }
}

// Values exact in every dtype used (F16: 11-bit mantissa; BF16: 8-bit).
const M = [1, -2, 0.5, 3, -0.09375, 6];
const SPEC: TorchSaveSpec = {
  tensors: [
    { name: 'f32', dtype: 'F32', shape: [2, 3], values: [0.1, -1e-30, 3e38, 4, 5, 6] },
    { name: 'f16.offset', dtype: 'F16', shape: [3], values: [0.5, -2, 1024], storage_offset: 5 },
    { name: 'bf16.transposed', dtype: 'BF16', shape: [2, 3], values: M, transpose: true },
    { name: 'scalar', dtype: 'F32', shape: [], values: [7] },
    { name: 'f32.tied', tie: 'f32' },
    { name: 'f32.transposed.offset', dtype: 'F32', shape: [3, 2], values: M, transpose: true, storage_offset: 2 },
  ],
};
const EXPECTED = {
  f32: { dims: [2, 3], data: [...Float32Array.from([0.1, -1e-30, 3e38, 4, 5, 6])] },
  'f16.offset': { dims: [3], data: [0.5, -2, 1024] },
  'bf16.transposed': { dims: [2, 3], data: M },
  scalar: { dims: [], data: [7] },
  'f32.tied': { dims: [2, 3], data: [...Float32Array.from([0.1, -1e-30, 3e38, 4, 5, 6])] },
  'f32.transposed.offset': { dims: [3, 2], data: M },
};

describe('pytorch_model.bin reader', { skip }, () => {
  it('reads F32, F16, BF16, storage offsets, transposed views, scalars and tied storages', async () => {
    const path = write(SPEC);
    assert.deepEqual(await readAll(path), EXPECTED);
    // One storage for the two tied names, as torch.save writes tied weights.
    const entries = spawnSync(pythonPath(), ['-c', `import zipfile,sys; print(len([n for n in zipfile.ZipFile(sys.argv[1]).namelist() if '/data/' in n]))`, path], { encoding: 'utf8' });
    assert.equal(entries.stdout.trim(), '5');
  });

  it('reads a zip64 archive (as files over 4 GB are) and any top folder name', async () => {
    assert.deepEqual(await readAll(write({ ...SPEC, zip64: true })), EXPECTED);
    assert.deepEqual(await readAll(write({ ...SPEC, archive: 'pytorch_model' })), EXPECTED);
  });

  it('knows names and shapes from data.pkl alone; reads each tensor lazily from its own bytes', async () => {
    const path = write({ tensors: [{ name: 'a', dtype: 'F32', shape: [4], values: [1, 2, 3, 4] }, { name: 'b', dtype: 'F32', shape: [2, 2], seed: 1 }] });
    const c = await TorchCheckpoint.open(path);
    try {
      assert.deepEqual(c.names(), ['a', 'b']);
      assert.deepEqual(c.shape('b'), [2, 2]);
      assert.ok(c.has('a') && !c.has('c'));
      // Cut the file right after a's bytes: a still reads, b is cut off.
      const text = readFileSync(path);
      const aEnd = text.indexOf(Buffer.from(Float32Array.from([1, 2, 3, 4]).buffer)) + 16;
      truncateSync(path, aEnd);
      assert.deepEqual([...(await c.read('a')).data], [1, 2, 3, 4]);
      await expectUserError(c.read('b'), [path, "'b'", 'truncated']);
      await expectUserError(c.read('c'), [path, "'c'"]);
    } finally {
      await c.close();
    }
  });
});

/** A JSON-safe picture of an unpickled value: Maps as objects, bigints as {big}. */
function plain(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'bigint') return { big: v.toString() };
  return v;
}

describe('pickle reader against Python\'s pickler', { skip }, () => {
  const refuseAll = {
    global: (m: string, x: string) => { throw new UserError(`global ${m}.${x}`); },
    persistentLoad: () => { throw new UserError('pid'); },
    build: () => { throw new UserError('build'); },
  };
  for (const protocol of [2, 4]) {
    it(`plain data, protocol ${protocol}`, () => {
      const py = `
import json, pickle, sys
v = {'ints': [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31, 2**53, -2**62, 2**70, -2**70],
     'floats': [1.5, -2.25, 1e300, 5e-324], 'bools': [True, False, None],
     'strs': ['', 'h\u00e9llo \u2713', 'x' * 300], 'tuples': [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
     'nested': {'a': {'b': [[], {}]}}, 'shared': None}
shared = [1, 2]
v['shared'] = [shared, shared]
sys.stdout.buffer.write(pickle.dumps(v, protocol=${protocol}))
def conv(x):
    if isinstance(x, bool) or x is None: return x
    if isinstance(x, int): return x if abs(x) <= 2**53 - 1 else {'big': str(x)}
    if isinstance(x, dict): return {k: conv(y) for k, y in x.items()}
    if isinstance(x, (list, tuple)): return [conv(y) for y in x]
    return x
sys.stderr.write(json.dumps(conv(v)))`;
      const r = spawnSync(pythonPath(), ['-c', py]);
      assert.equal(r.status, 0, r.stderr.toString());
      assert.deepEqual(plain(unpickle(r.stdout, 'test.pkl', refuseAll)), JSON.parse(r.stderr.toString()));
    });
  }
});

/** A pickle calling `module.name(arg)`, written opcode by opcode (GLOBAL, BINUNICODE, TUPLE1, REDUCE, STOP). */
function callPickle(module: string, name: string, arg: string): string {
  const s = Buffer.from(arg);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(s.length);
  return Buffer.concat([Buffer.from([0x80, 2]), Buffer.from(`c${module}\n${name}\n`), Buffer.from('X'), len, s, Buffer.from([0x85, 0x52, 0x2e])]).toString('hex');
}

describe('bad pytorch_model.bin files: one-line UserErrors naming the file', { skip }, () => {
  const ok: TorchSaveSpec = { tensors: [{ name: 'a', dtype: 'F32', shape: [2], values: [1, 2] }] };

  it('a pickle that would run os.system under torch.load runs nothing', async () => {
    const marker = join(dir, 'pwned');
    const viaPython = write({ ...ok, evil_command: `touch ${marker}` }); // Python pickles os.system as posix.system
    await expectUserError(TorchCheckpoint.open(viaPython), [viaPython, 'unsupported object posix.system', 'only tensors and dicts load']);
    const byHand = write({ ...ok, data_pkl_hex: callPickle('os', 'system', `touch ${marker}`) });
    await expectUserError(TorchCheckpoint.open(byHand), [`unsupported object os.system in ${byHand}: only tensors and dicts load`]);
    const builtins = write({ ...ok, data_pkl_hex: callPickle('builtins', 'exec', `open('${marker}', 'w')`) });
    await expectUserError(TorchCheckpoint.open(builtins), ['unsupported object builtins.exec', builtins]);
    assert.ok(!existsSync(marker), 'nothing ran');
  });

  it('an unknown opcode', async () => {
    const path = write({ ...ok, data_pkl_hex: '80027d8f2e' }); // EMPTY_SET (protocol 4)
    await expectUserError(TorchCheckpoint.open(path), [path, 'unsupported pickle opcode EMPTY_SET (0x8f)']);
  });

  it('a truncated archive', async () => {
    const path = write(ok);
    truncateSync(path, Math.floor(readFileSync(path).length / 2));
    await expectUserError(TorchCheckpoint.open(path), [path, 'truncated']);
  });

  it('a compressed entry', async () => {
    const path = write({ ...ok, compress: true });
    await expectUserError(TorchCheckpoint.open(path), [path, 'compressed entry', 'data.pkl']);
  });

  it('a big-endian checkpoint', async () => {
    const path = write({ ...ok, byteorder: 'big' });
    await expectUserError(TorchCheckpoint.open(path), [path, "byte order 'big'"]);
  });

  it('a storage missing from the archive', async () => {
    const path = write({ ...ok, omit_storage_of: 'a' });
    await expectUserError(TorchCheckpoint.open(path), [path, "storage '0' is missing", 'archive/data/0']);
  });

  it('a file that is not a zip (the pre-1.6 format, or anything else)', async () => {
    const path = join(dir, 'legacy.bin');
    writeFileSync(path, Buffer.from('80027d712e', 'hex'));
    await expectUserError(TorchCheckpoint.open(path), [path, 'not a zip archive']);
    await expectUserError(TorchCheckpoint.open(join(dir, 'nope.bin')), [join(dir, 'nope.bin'), 'not found']);
  });
});
