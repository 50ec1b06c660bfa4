// Saved runs on disk (src/extension/runStore.ts): atomic writes (a process dying between the
// temp file and the rename leaves no run, whole or partial), newest-first listing, and a
// corrupt file in the folder reported and skipped instead of breaking the listing.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import type { SavedRun } from '../../src/protocol/ops';
import { listRuns, readRun, saveRun, scanRuns, type RunCheckCache } from '../../src/extension/runStore';

const dirs: string[] = [];
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ce-runs-'));
  dirs.push(d);
  return d;
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function sampleRun(n: number): SavedRun {
  return {
    version: 1,
    model: { id: 'circuit-demo-gpt2-3l', processing: { foldLn: true, centerWritingWeights: true, centerUnembed: true, foldValueBiases: true } },
    spec: { op: 'test-prompt', prompt: `prompt ${n} “quoted” \u{1F600}`, answer: ' x' },
    command: 'test-prompt',
    result: { strTokens: ['a'], answer: { token: ' x', id: n, rank: 0, logit: n / 3, prob: 0.5 }, top: [] } as unknown as SavedRun['result'],
    seconds: 0.25,
    engine: { device: 'cpu' },
  };
}

test('a saved run reads back equal to what was saved, named <timestamp>-<kind>.json', async () => {
  const dir = freshDir();
  const run = sampleRun(1);
  const file = await saveRun(dir, run, new Date(Date.UTC(2026, 10, 23, 15, 8, 31, 123)));
  assert.equal(basename(file), '20261123T150831123Z-test-prompt.json');
  // Independent reader: plain JSON.parse of the file.
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), JSON.parse(JSON.stringify(run)));
  assert.deepEqual(await readRun(file), JSON.parse(JSON.stringify(run)));
  assert.deepEqual(readdirSync(dir), [basename(file)], 'no temp file left behind');
});

test('a process killed between the temp file and the rename leaves no run, and the folder stays usable', async () => {
  const dir = freshDir();
  const store = resolve(__dirname, '../../src/extension/runStore.ts');
  // A real crash: the child exits at the point between write and rename, so nothing can clean up.
  const code = `
    const { saveRun } = require(${JSON.stringify(store)});
    saveRun(${JSON.stringify(dir)}, ${JSON.stringify(sampleRun(7))}, new Date(), { beforeRename: () => process.exit(9) });`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8' });
  assert.equal(child.status, 9, child.stderr);
  const left = readdirSync(dir);
  assert.equal(left.length, 1, `the temp file is what remains: ${left.join(', ')}`);
  assert.ok(!left[0].endsWith('.json'), `no *.json appears before the rename: ${left[0]}`);
  assert.deepEqual(await listRuns(dir), []);
  assert.deepEqual(await scanRuns(dir), { files: [], bad: [] });

  const file = await saveRun(dir, sampleRun(8));
  assert.deepEqual(await listRuns(dir), [file]);
  assert.equal((await readRun(file)).result !== undefined, true);
});

test('a failed rename removes the temp file and rejects; nothing is listed', async () => {
  const dir = freshDir();
  await assert.rejects(saveRun(dir, sampleRun(2), new Date(), { beforeRename: () => { throw new Error('disk full'); } }), /disk full/);
  assert.deepEqual(readdirSync(dir), []);
  assert.deepEqual(await listRuns(dir), []);
});

test('runs are listed newest first, also when two share a millisecond', async () => {
  const dir = freshDir();
  const t = (ms: number) => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, ms));
  const saved: { file: string; when: number; seq: number }[] = [];
  let seq = 0;
  for (const ms of [500, 7, 999, 7, 120, 7]) saved.push({ file: await saveRun(dir, sampleRun(ms), t(ms)), when: ms, seq: seq++ });
  // Expected order from what we know we did: later time first; at equal times, the later save first.
  const expected = [...saved].sort((a, b) => b.when - a.when || b.seq - a.seq).map((s) => s.file);
  assert.deepEqual(await listRuns(dir), expected);
  assert.equal(new Set(expected).size, 6, 'same-millisecond saves get distinct names');
  // A later day sorts before all of them.
  const later = await saveRun(dir, sampleRun(1), new Date(Date.UTC(2026, 0, 3)));
  assert.equal((await listRuns(dir))[0], later);
  assert.deepEqual(await listRuns(join(dir, 'missing')), [], 'a missing folder is an empty list');
});

test('a corrupt run file is reported and skipped; the good runs are still listed', async () => {
  const dir = freshDir();
  const good = await saveRun(dir, sampleRun(3), new Date(Date.UTC(2026, 0, 1)));
  const text = readFileSync(good, 'utf8');
  const truncated = join(dir, '20260102T000000000Z-patch-resid_pre.json');
  writeFileSync(truncated, text.slice(0, Math.floor(text.length / 2)));
  const notRun = join(dir, '20260103T000000000Z-dla.json');
  writeFileSync(notRun, '{"hello": "world"}\n');
  const garbage = join(dir, 'notes.json');
  writeFileSync(garbage, '\u0000\u0001 not json');

  const cache: RunCheckCache = new Map();
  const { files, bad } = await scanRuns(dir, cache);
  assert.deepEqual(files, [good]);
  assert.deepEqual(bad.map((b) => b.file).sort(), [garbage, notRun, truncated].sort());
  for (const b of bad) {
    assert.ok(b.reason.includes(b.file), `the reason names the file: ${b.reason}`);
    assert.equal(b.reason.split('\n').length, 1);
  }
  await assert.rejects(readRun(truncated), (e: Error) => e.message.includes(truncated));

  // Repaired on disk: the next scan sees the new version (the cache is keyed by size and mtime).
  writeFileSync(truncated, text);
  const again = await scanRuns(dir, cache);
  assert.deepEqual(again.files.sort(), [good, truncated].sort());
  assert.equal(again.bad.length, 2);
});
