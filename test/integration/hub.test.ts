/**
 * Hub downloads against a local server in the Hub's URL layout: a tiny checkpoint
 * downloads and loads; a cut response resumes with a Range request; a wrong sha256 is
 * rejected; a missing repo is a UserError naming it; resolution order and aliases.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { downloadFromHub } from '../../src/engine/checkpoint/hub';
import { loadCanonicalWeights } from '../../src/engine/checkpoint/load';
import { findInHfCache, officialModelName, resolveCheckpoint } from '../../src/engine/checkpoint/sources';
import { UserError } from '../../src/engine/errors';
import { NO_PROCESSING } from '../../src/engine/weights';
import { startHubServer } from '../support/hubServer';
import { makeTinyCheckpoint } from '../support/tinyCheckpoint';
import { pythonMissing, resaveAsTorch } from '../support/torchSave';

const root = mkdtempSync(join(tmpdir(), 'ce-hub-'));
after(() => rmSync(root, { recursive: true, force: true }));
const served = join(root, 'served');
const REPO = 'tiny-org/tiny-gpt2';
makeTinyCheckpoint(join(served, REPO), { arch: 'gpt2', seed: 5, nLayers: 1 });
const SHARDED = 'tiny-org/tiny-neox-sharded';
makeTinyCheckpoint(join(served, SHARDED), { arch: 'gpt_neox', seed: 6, nLayers: 1, shards: 2 });
const original = readFileSync(join(served, REPO, 'model.safetensors'));
let n = 0;
const freshCache = () => join(root, `cache${n++}`);

describe('Hub downloads (local server)', () => {
  it('downloads config, tokenizer and weights, with progress; the result loads', async () => {
    const hub = await startHubServer(served);
    try {
      const progress: number[] = [];
      const dir = await downloadFromHub(REPO, { hubBaseUrl: hub.url, cacheDir: freshCache(), onProgress: (p) => p.file === 'model.safetensors' && progress.push(p.bytesDone) });
      assert.ok(dir.endsWith(join('tiny-org--tiny-gpt2', 'main')));
      assert.deepEqual(readFileSync(join(dir, 'model.safetensors')), original);
      assert.ok(existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt')));
      assert.ok(!existsSync(join(dir, 'tokenizer.json')), 'absent tokenizer.json (404) is tolerated');
      assert.equal(progress.at(-1), original.length);
      const w = await loadCanonicalWeights(dir, NO_PROCESSING);
      assert.equal(w.cfg.nLayers, 1);
      // A complete download is reused without the network.
      const before = hub.requests.length;
      assert.equal(await downloadFromHub(REPO, { hubBaseUrl: hub.url, cacheDir: join(dir, '..', '..') }), dir);
      assert.equal(hub.requests.length, before);
    } finally {
      await hub.close();
    }
  });

  it('a sharded checkpoint downloads its index and every shard', async () => {
    const hub = await startHubServer(served);
    try {
      const dir = await downloadFromHub(SHARDED, { hubBaseUrl: hub.url, cacheDir: freshCache() });
      assert.ok(existsSync(join(dir, 'model-00002-of-00002.safetensors')));
      assert.equal((await loadCanonicalWeights(dir, NO_PROCESSING)).cfg.architecture, 'gpt_neox');
    } finally {
      await hub.close();
    }
  });

  it('resumes a cut download with an HTTP Range request', async () => {
    const hub = await startHubServer(served, { cutOnce: 'model.safetensors' });
    const cacheDir = freshCache();
    try {
      await assert.rejects(downloadFromHub(REPO, { hubBaseUrl: hub.url, cacheDir }), UserError);
      const part = join(cacheDir, 'tiny-org--tiny-gpt2', 'main', 'model.safetensors.part');
      assert.ok(existsSync(part), 'the .part survives the cut');
      const dir = await downloadFromHub(REPO, { hubBaseUrl: hub.url, cacheDir });
      const weightRequests = hub.requests.filter((r) => r.file === 'model.safetensors');
      assert.equal(weightRequests.length, 2);
      assert.equal(weightRequests[1].status, 206);
      assert.match(weightRequests[1].range ?? '', /^bytes=[1-9]\d*-$/);
      assert.deepEqual(readFileSync(join(dir, 'model.safetensors')), original);
      assert.ok(!existsSync(part));
    } finally {
      await hub.close();
    }
  });

  it('rejects a file whose sha256 does not match the ETag, keeping nothing', async () => {
    const hub = await startHubServer(served, { wrongSha: { file: 'model.safetensors', sha: 'ab'.repeat(32) } });
    const cacheDir = freshCache();
    try {
      await assert.rejects(downloadFromHub(REPO, { hubBaseUrl: hub.url, cacheDir }), (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.match(e.message, /sha256 mismatch for model\.safetensors/);
        return true;
      });
      const folder = join(cacheDir, 'tiny-org--tiny-gpt2', 'main');
      assert.ok(!existsSync(join(folder, 'model.safetensors')) && !existsSync(join(folder, 'model.safetensors.part')));
    } finally {
      await hub.close();
    }
  });

  it('a repo that does not exist is a one-line UserError naming it', async () => {
    const hub = await startHubServer(served);
    try {
      await assert.rejects(resolveCheckpoint('nobody/no-such-model', { hubBaseUrl: hub.url, cacheDir: freshCache(), hfCacheDir: join(root, 'no-hf') }), (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.ok(e.message.includes("'nobody/no-such-model'") && !e.message.includes('\n'), e.message);
        return true;
      });
    } finally {
      await hub.close();
    }
  });

  it('an aborted download is cancelled', async () => {
    const hub = await startHubServer(served);
    try {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(downloadFromHub(REPO, { hubBaseUrl: hub.url, cacheDir: freshCache(), signal: ac.signal }), /cancelled/);
    } finally {
      await hub.close();
    }
  });
});

describe('Hub repos with pytorch_model.bin only', { skip: pythonMissing() }, () => {
  const weightFiles = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'];

  for (const shards of [1, 2]) {
    it(`${shards === 1 ? 'pytorch_model.bin' : 'pytorch_model.bin.index.json and its shards'}: tried after safetensors, downloaded, loads the same weights`, async () => {
      const repo = `tiny-org/bin-${shards}`;
      const src = makeTinyCheckpoint(join(root, `bin-src-${shards}`), { arch: 'gpt2', seed: 7, nLayers: 1 });
      await resaveAsTorch(src, join(served, repo), { shards });
      const hub = await startHubServer(served);
      try {
        const dir = await downloadFromHub(repo, { hubBaseUrl: hub.url, cacheDir: freshCache() });
        const asked = hub.requests.filter((r) => r.repo === repo && /model/.test(r.file)).map((r) => `${r.file} ${r.status}`);
        const expected = shards === 1
          ? ['model.safetensors 404', 'model.safetensors.index.json 404', 'pytorch_model.bin 200']
          : ['model.safetensors 404', 'model.safetensors.index.json 404', 'pytorch_model.bin 404', 'pytorch_model.bin.index.json 200',
            'pytorch_model-00001-of-00002.bin 200', 'pytorch_model-00002-of-00002.bin 200'];
        assert.deepEqual(asked, expected);
        const [a, b] = [await loadCanonicalWeights(src, NO_PROCESSING), await loadCanonicalWeights(dir, NO_PROCESSING)];
        assert.deepEqual([...b.blocks[0].W_Q.data], [...a.blocks[0].W_Q.data]);
        assert.deepEqual([...b.W_U.data], [...a.W_U.data]);
      } finally {
        await hub.close();
      }
    });
  }

  it('a repo with no weights at all names the four files it looked for', async () => {
    const repo = 'tiny-org/no-weights';
    makeTinyCheckpoint(join(served, repo), { arch: 'gpt2', seed: 8, nLayers: 1 });
    rmSync(join(served, repo, 'model.safetensors'));
    const hub = await startHubServer(served);
    try {
      await assert.rejects(downloadFromHub(repo, { hubBaseUrl: hub.url, cacheDir: freshCache() }), (e: unknown) => {
        assert.ok(e instanceof UserError && !e.message.includes('\n'), String(e));
        for (const f of [`'${repo}'`, ...weightFiles]) assert.ok(e.message.includes(f), e.message);
        return true;
      });
    } finally {
      await hub.close();
    }
  });
});

describe('resolveCheckpoint order and aliases', () => {
  it('TransformerLens aliases', () => {
    assert.equal(officialModelName('gpt2-small'), 'gpt2');
    assert.equal(officialModelName('pythia-70m'), 'EleutherAI/pythia-70m');
    assert.equal(officialModelName('pythia-160m-deduped'), 'EleutherAI/pythia-160m-deduped');
    assert.equal(officialModelName('EleutherAI/pythia-70m'), 'EleutherAI/pythia-70m');
  });

  it('nothing → the bundled demo; a folder → local', async () => {
    const demo = await resolveCheckpoint(undefined);
    assert.equal(demo.source, 'bundled');
    assert.equal(demo.id, 'circuit-demo-gpt2-3l');
    assert.ok(existsSync(join(demo.dir, 'config.json')));
    const local = await resolveCheckpoint(join(served, REPO));
    assert.equal(local.source, 'local');
    await assert.rejects(resolveCheckpoint(join(root, 'missing-folder')), UserError);
  });

  it('the user\'s HF cache (refs/main → snapshot) before the Hub', async () => {
    const hf = join(root, 'hf-hub');
    const snap = join(hf, 'models--EleutherAI--pythia-70m', 'snapshots', 'abc123');
    makeTinyCheckpoint(snap, { arch: 'gpt_neox', seed: 9, nLayers: 1 });
    mkdirSync(join(hf, 'models--EleutherAI--pythia-70m', 'refs'), { recursive: true });
    writeFileSync(join(hf, 'models--EleutherAI--pythia-70m', 'refs', 'main'), 'abc123\n');
    assert.equal(findInHfCache('EleutherAI/pythia-70m', 'main', hf)?.dir, snap);
    // The Hub URL is unreachable: resolution must not need it.
    const r = await resolveCheckpoint('pythia-70m', { hfCacheDir: hf, hubBaseUrl: 'http://127.0.0.1:9' });
    assert.deepEqual(r, { dir: snap, id: 'EleutherAI/pythia-70m', source: 'hf-cache', revision: 'abc123' });
  });
});
