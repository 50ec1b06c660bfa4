/**
 * The safetensors reader against hand-built files (bytes written here, not by our writer)
 * and the writer round trip; every malformed file gives a one-line UserError naming it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openCheckpointTensors } from '../../src/engine/checkpoint/open';
import { SafetensorsFile, ShardedSafetensors, writeSafetensors } from '../../src/engine/checkpoint/safetensors';
import { expectUserError } from '../support/userErrors';

const dir = mkdtempSync(join(tmpdir(), 'ce-st-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A safetensors file from a header object and raw data bytes, assembled by hand. */
function handMade(name: string, header: unknown, data: Buffer, opts: { headerText?: string; lenDelta?: number } = {}): string {
  const json = Buffer.from(opts.headerText ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length + (opts.lenDelta ?? 0)));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([len, json, data]));
  return path;
}

function u16(...xs: number[]): Buffer {
  const b = Buffer.alloc(xs.length * 2);
  xs.forEach((x, i) => b.writeUInt16LE(x, 2 * i));
  return b;
}

describe('safetensors reader', () => {
  it('reads F32, F16 and BF16 from hand-built bytes', async () => {
    const f32 = Buffer.alloc(12);
    [1.5, -2.25, 1e-3].forEach((x, i) => f32.writeFloatLE(x, 4 * i));
    // F16: 1, -2, 65504 (max), 2^-24 (smallest subnormal), 0x3555 = 0.333251953125, -0
    const f16 = u16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x8000);
    // BF16: 1, -3, 0x3eab = 0.333984375
    const bf16 = u16(0x3f80, 0xc040, 0x3eab);
    const data = Buffer.concat([f32, f16, bf16]);
    const path = handMade('mixed.safetensors', {
      __metadata__: { format: 'pt' },
      a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
      b: { dtype: 'F16', shape: [2, 3], data_offsets: [12, 24] },
      c: { dtype: 'BF16', shape: [3, 1], data_offsets: [24, 30] },
    }, data);
    const f = await SafetensorsFile.open(path);
    try {
      assert.deepEqual(f.names().sort(), ['a', 'b', 'c']);
      assert.deepEqual(f.metadata, { format: 'pt' });
      const a = await f.read('a');
      assert.deepEqual([...a.data], [1.5, -2.25, Math.fround(1e-3)]);
      const b = await f.read('b');
      assert.deepEqual(b.dims, [2, 3]);
      assert.deepEqual([...b.data], [1, -2, 65504, 2 ** -24, 0.333251953125, -0]);
      assert.ok(Object.is(b.data[5], -0));
      const c = await f.read('c');
      assert.deepEqual(c.dims, [3, 1]);
      assert.deepEqual([...c.data], [1, -3, 0.333984375]);
    } finally {
      await f.close();
    }
  });

  it('writer: 8-byte aligned header; F32 exact, F16/BF16 round to nearest', async () => {
    const vals = Float32Array.from([0, 1, -1, 0.1, 3.14159, 1e-6, 60000, -123.456]);
    const path = join(dir, 'rt.safetensors');
    writeSafetensors(path, {
      x: { dims: [2, 4], data: vals },
      h: { dims: [8], data: () => vals, dtype: 'F16' },
      g: { dims: [8], data: vals, dtype: 'BF16' },
    });
    const raw = readFileSync(path);
    assert.equal(Number(raw.readBigUInt64LE(0)) % 8, 0);
    const f = await SafetensorsFile.open(path);
    try {
      assert.deepEqual([...(await f.read('x')).data], [...vals]);
      const h = (await f.read('h')).data;
      const g = (await f.read('g')).data;
      for (let i = 0; i < vals.length; i++) {
        const v = vals[i];
        // half: 11 significant bits (subnormal below 2^-14: absolute step 2^-24)
        assert.ok(Math.abs(h[i] - v) <= Math.max(Math.abs(v) * 2 ** -11, 2 ** -25), `F16 ${v} -> ${h[i]}`);
        assert.ok(Math.abs(g[i] - v) <= Math.abs(v) * 2 ** -8, `BF16 ${v} -> ${g[i]}`);
      }
      assert.equal(h[1], 1);
      assert.equal(h[3], 0.0999755859375); // nearest half to 0.1
    } finally {
      await f.close();
    }
  });

  it('reads a sharded checkpoint through model.safetensors.index.json', async () => {
    const sub = join(dir, 'sharded');
    (await import('node:fs')).mkdirSync(sub);
    writeSafetensors(join(sub, 'model-00001-of-00002.safetensors'), { a: { dims: [2], data: Float32Array.from([1, 2]) } });
    writeSafetensors(join(sub, 'model-00002-of-00002.safetensors'), { b: { dims: [1], data: Float32Array.from([3]) } });
    writeFileSync(join(sub, 'model.safetensors.index.json'), JSON.stringify({
      metadata: {}, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' },
    }));
    const src = await openCheckpointTensors(sub);
    try {
      assert.ok(src instanceof ShardedSafetensors);
      assert.deepEqual(src.names().sort(), ['a', 'b']);
      assert.deepEqual([...(await src.read('b')).data], [3]);
      assert.deepEqual([...(await src.read('a')).data], [1, 2]);
      await expectUserError(src.read('c'), ["'c'", 'model.safetensors.index.json']);
    } finally {
      await src.close();
    }
  });
});

describe('safetensors errors (one line, naming the file)', () => {
  const ok = { t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  it('missing file', async () => {
    const p = join(dir, 'nope.safetensors');
    await expectUserError(SafetensorsFile.open(p), [p, 'not found']);
  });
  it('truncated file (no header length)', async () => {
    const p = join(dir, 'short.safetensors');
    writeFileSync(p, Buffer.from([1, 2, 3]));
    await expectUserError(SafetensorsFile.open(p), [p, 'truncated']);
  });
  it('header length past EOF', async () => {
    const p = handMade('longhdr.safetensors', ok, Buffer.alloc(8), { lenDelta: 1000 });
    await expectUserError(SafetensorsFile.open(p), [p, 'header length']);
  });
  it('bad JSON header', async () => {
    const p = handMade('badjson.safetensors', null, Buffer.alloc(8), { headerText: '{"t": {"dtype": "F32",' });
    await expectUserError(SafetensorsFile.open(p), [p, 'JSON']);
  });
  it('tensor data out of range (file cut after the header)', async () => {
    const p = handMade('cut.safetensors', ok, Buffer.alloc(4));
    await expectUserError(SafetensorsFile.open(p), [p, "'t'"]);
  });
  it('offsets inconsistent with shape and dtype', async () => {
    const p = handMade('offs.safetensors', { t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8));
    await expectUserError(SafetensorsFile.open(p), [p, "'t'"]);
  });
  it('unknown dtype', async () => {
    const p = handMade('i64.safetensors', { t: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, Buffer.alloc(8));
    await expectUserError(SafetensorsFile.open(p), [p, 'I64']);
  });
  it('missing tensor name', async () => {
    const p = handMade('ok.safetensors', ok, Buffer.alloc(8));
    const f = await SafetensorsFile.open(p);
    try {
      await expectUserError(f.read('wte.weight'), [p, "'wte.weight'"]);
    } finally {
      await f.close();
    }
  });
  it('a folder without weights', async () => {
    await expectUserError(openCheckpointTensors(dir + '/sharded-none'), ['sharded-none']);
  });
});
