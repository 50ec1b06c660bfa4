/**
 * pytorch_model.bin checkpoints load to the same model as safetensors: a tiny GPT-2
 * checkpoint (safetensors, from the synthetic generator) is re-saved as torch.save zips by
 * the independent Python writer (test/support/torch_save.py) — F32 with a tied lm_head,
 * a storage offset and a transposed view; F16; BF16; two shards with an index — and both
 * folders must give identical canonical weights and identical logits.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadCanonicalWeights } from '../../src/engine/checkpoint/load';
import { openCheckpointTensors } from '../../src/engine/checkpoint/open';
import { findInHfCache } from '../../src/engine/checkpoint/sources';
import { UserError } from '../../src/engine/errors';
import { loadModel } from '../../src/engine/load';
import type { Tensor } from '../../src/engine/tensor';
import { NO_PROCESSING } from '../../src/engine/weights';
import type { CanonicalWeights } from '../../src/engine/weights';
import { makeTinyCheckpoint } from '../support/tinyCheckpoint';
import type { TinyCheckpointOptions } from '../support/tinyCheckpoint';
import { pythonMissing, resaveAsTorch } from '../support/torchSave';
import type { ResaveOptions } from '../support/torchSave';

const skip = pythonMissing();
const root = mkdtempSync(join(tmpdir(), 'ce-torch-'));
after(() => rmSync(root, { recursive: true, force: true }));
const TOKENS = [50256, 464, 3290, 318, 257, 922, 11, 290, 262, 3290, 2];
let n = 0;

/** Every tensor of the canonical weights, by path ("blocks.0.W_Q"). */
function tensorsOf(w: CanonicalWeights): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const walk = (v: unknown, path: string) => {
    if (v && typeof v === 'object' && 'data' in v && (v as Tensor).data instanceof Float32Array) out.set(path, v as Tensor);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (k !== 'cfg' && k !== 'processing') walk(x, path ? `${path}.${k}` : k);
  };
  walk(w, '');
  return out;
}

function assertSameWeights(a: CanonicalWeights, b: CanonicalWeights): void {
  assert.deepEqual(b.cfg, a.cfg);
  const ta = tensorsOf(a), tb = tensorsOf(b);
  assert.ok(ta.size > 10, `found ${ta.size} tensors`);
  assert.deepEqual([...tb.keys()], [...ta.keys()]);
  for (const [k, t] of ta) {
    const u = tb.get(k)!;
    assert.deepEqual(u.dims, t.dims, k);
    assert.ok(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), `${k} differs`);
  }
}

async function logits(dir: string): Promise<Float32Array> {
  const m = await loadModel({ model: dir, device: 'cpu', processing: NO_PROCESSING });
  try {
    return (await m.run({ tokens: [TOKENS] })).logits!.data;
  } finally {
    await m.dispose();
  }
}

const cases: [string, TinyCheckpointOptions, ResaveOptions][] = [
  ['F32 with a tied lm_head, a storage offset and a transposed view', { arch: 'gpt2', seed: 51, nLayers: 1, lmHeadPrefix: true }, {
    tie: { 'lm_head.weight': 'transformer.wte.weight' },
    offset: ['transformer.h.0.mlp.c_fc.bias'],
    transpose: ['transformer.h.0.attn.c_proj.weight'],
  }],
  ['F16', { arch: 'gpt2', seed: 52, nLayers: 1, dtype: 'F16' }, { dtype: 'F16' }],
  ['BF16', { arch: 'gpt2', seed: 53, nLayers: 1, dtype: 'BF16' }, { dtype: 'BF16' }],
  ['two shards with pytorch_model.bin.index.json', { arch: 'gpt2', seed: 54, nLayers: 1, lmHeadPrefix: true }, { shards: 2, tie: { 'lm_head.weight': 'transformer.wte.weight' } }],
  ['GPT-NeoX', { arch: 'gpt_neox', seed: 55, nLayers: 1 }, {}],
];

for (const [name, tiny, resave] of cases) {
  describe(`pytorch_model.bin: ${name}`, { skip }, () => {
    const st = makeTinyCheckpoint(join(root, `st${n}`), tiny);
    const bin = join(root, `bin${n++}`);

    it('loads the same canonical weights and the same logits as the safetensors folder', async () => {
      await resaveAsTorch(st, bin, resave);
      assert.ok(existsSync(join(bin, resave.shards ? 'pytorch_model.bin.index.json' : 'pytorch_model.bin')));
      const src = await openCheckpointTensors(bin);
      try {
        assert.ok(!src.path.endsWith('.safetensors') && !src.path.includes('safetensors.index'), src.path);
      } finally {
        await src.close();
      }
      assertSameWeights(await loadCanonicalWeights(st, NO_PROCESSING), await loadCanonicalWeights(bin, NO_PROCESSING));
      const [a, b] = [await logits(st), await logits(bin)];
      assert.ok(a.length === TOKENS.length * 50257 || a.length === TOKENS.length * 50304, `${a.length} logits`);
      assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), 'logits differ');
    });
  });
}

describe('checkpoint folders without weights, and the HF cache', { skip }, () => {
  it('a folder with none of the four weight files names them all', async () => {
    const dir = makeTinyCheckpoint(join(root, 'none'), { arch: 'gpt2', seed: 56, nLayers: 1 });
    rmSync(join(dir, 'model.safetensors'));
    await assert.rejects(loadCanonicalWeights(dir, NO_PROCESSING), (e: unknown) => {
      assert.ok(e instanceof UserError && !e.message.includes('\n'), String(e));
      for (const f of ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json', dir]) assert.ok(e.message.includes(f), e.message);
      return true;
    });
  });

  it('an HF cache snapshot holding only pytorch_model.bin is found', async () => {
    const hf = join(root, 'hf');
    const snap = join(hf, 'models--org--bin-only', 'snapshots', 'c0ffee');
    await resaveAsTorch(makeTinyCheckpoint(join(root, 'hfsrc'), { arch: 'gpt2', seed: 57, nLayers: 1 }), snap);
    assert.deepEqual(findInHfCache('org/bin-only', 'c0ffee', hf), { dir: snap, revision: 'c0ffee' });
    assert.equal((await loadCanonicalWeights(snap, NO_PROCESSING)).cfg.nLayers, 1);
  });
});
