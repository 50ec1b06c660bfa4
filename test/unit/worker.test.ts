/**
 * The engine process and its RPC client. Part one forks a TypeScript worker with a fake
 * backend (no model) to pin down the protocol: progress, cancel, user/internal errors,
 * crash and out-of-memory detection, restart with reload. Part two builds dist/worker.js
 * and drives the real engine on the bundled demo model.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EngineClient, EngineError, crashReason } from '../../src/worker/client';
import type { Progress } from '../../src/protocol/ops';

const root = resolve(__dirname, '..', '..');

const FAKE_WORKER = `
import { WorkerServer } from ${JSON.stringify(join(root, 'src/worker/server.ts'))};
import { UserError } from ${JSON.stringify(join(root, 'src/engine/errors.ts'))};
const loads = [];
const server = new WorkerServer({
  async load(params) {
    if (params.model === 'missing') throw new UserError('unknown model "missing": not a folder, bundled name or hub id');
    loads.push(params.model);
    return { id: params.model, loads: loads.length };
  },
  describe: (m) => ({ id: m.id, source: 'fake:' + m.loads, device: 'cpu', cfg: { architecture: 'gpt2', nLayers: 3, nHeads: 4, dModel: 128, dHead: 32, dVocab: 50257, nCtx: 256 },
    processing: { foldLn: true, centerWritingWeights: true, centerUnembed: true, foldValueBiases: true }, memory: { rssMB: 1, heapUsedMB: 1 } }),
  async runOp(m, req, ctx) {
    if (req.op === 'tokenize') return { tokens: [...req.text].map((c) => c.charCodeAt(0)), strTokens: [...req.text], model: m.id, pid: process.pid };
    if (req.op === 'heads') {
      // A long op: reports progress and honours the signal between steps, as the sweeps do.
      for (let i = 0; ; i++) {
        ctx.onProgress({ done: i, total: 1e9 });
        await new Promise((r) => setTimeout(r, 5));
        if (ctx.signal.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      }
    }
    if (req.op === 'ablate') { const hog = []; for (;;) hog.push(new Array(1e6).fill(Math.random())); }
    if (req.op === 'run') { const end = Date.now() + 60_000; while (Date.now() < end) {} }
    throw new Error('fake backend: op ' + req.op + ' not implemented');
  },
  async dispose() {},
}, (msg) => process.send(msg));
process.on('message', (m) => server.handle(m));
process.on('disconnect', () => process.exit(0));
`;

describe('engine RPC with a fake backend', () => {
  let client: EngineClient;
  const crashes: string[] = [];
  before(() => {
    const dir = mkdtempSync(join(tmpdir(), 'ce-worker-'));
    const file = join(dir, 'fakeWorker.ts');
    writeFileSync(file, FAKE_WORKER);
    client = new EngineClient({ workerPath: file, execArgv: ['--import', 'tsx'], memoryMB: 96, cancelGraceMs: 1500 });
    client.onCrash((r) => crashes.push(r));
  });
  after(() => client.dispose());

  it('refuses an op before a model is loaded, with a user error', async () => {
    await assert.rejects(client.runOp({ op: 'tokenize', text: 'ab' }), (e: EngineError) => e.kind === 'user' && /no model is loaded/.test(e.message));
  });

  it('reports a bad model name as a one-line user error', async () => {
    await assert.rejects(client.load({ model: 'missing' }), (e: EngineError) => e.kind === 'user' && e.message.includes('"missing"') && !e.message.includes('\n'));
  });

  it('loads and runs an op, the result crossing the process boundary intact', async () => {
    const info = await client.load({ model: 'demo' });
    assert.equal(info.id, 'demo');
    assert.equal(info.cfg.nHeads, 4);
    const r = (await client.runOp({ op: 'tokenize', text: 'héllo' })) as unknown as { tokens: number[]; strTokens: string[]; model: string };
    assert.deepEqual(r.tokens, [104, 233, 108, 108, 111]);
    assert.deepEqual(r.strTokens, ['h', 'é', 'l', 'l', 'o']);
    assert.equal(r.model, 'demo');
  });

  it('reports an internal error with its message', async () => {
    await assert.rejects(client.runOp({ op: 'dla', spec: { prompts: [] } }), (e: EngineError) => e.kind === 'internal' && /not implemented/.test(e.message));
  });

  it('streams progress and cancels a long op through the signal; the engine stays usable', async () => {
    const ctl = new AbortController();
    const seen: Progress[] = [];
    const p = client.runOp({ op: 'heads' }, { signal: ctl.signal, onProgress: (pr) => { seen.push(pr); if (seen.length === 3) ctl.abort(); } });
    await assert.rejects(p, (e: EngineError) => e.kind === 'cancelled');
    assert.ok(seen.length >= 3);
    assert.deepEqual(seen.slice(0, 3).map((s) => s.done), [0, 1, 2]);
    const pid = client.pid;
    const r = (await client.runOp({ op: 'tokenize', text: 'x' })) as unknown as { pid: number };
    assert.equal(r.pid, pid, 'a cancelled op must not restart the engine');
  });

  it('kills an engine that ignores a cancel, and recovers with the model reloaded', async () => {
    const ctl = new AbortController();
    const oldPid = client.pid;
    const p = client.runOp({ op: 'run', prompt: 'spin' }, { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 100);
    await assert.rejects(p, (e: EngineError) => e.kind === 'cancelled');
    const r = (await client.runOp({ op: 'tokenize', text: 'y' })) as unknown as { pid: number; model: string };
    assert.notEqual(r.pid, oldPid);
    assert.equal(r.model, 'demo');
  });

  it('reports a killed engine as a crash, rejects the pending request, and restarts with the model reloaded', async () => {
    const before = crashes.length;
    const oldPid = client.pid!;
    const p = client.runOp({ op: 'heads' });
    setTimeout(() => process.kill(oldPid, 'SIGKILL'), 100);
    await assert.rejects(p, (e: EngineError) => e.kind === 'crashed' && /killed by SIGKILL/.test(e.message));
    assert.equal(crashes.length, before + 1);
    const r = (await client.runOp({ op: 'tokenize', text: 'z' })) as unknown as { pid: number; model: string };
    assert.notEqual(r.pid, oldPid);
    assert.equal(r.model, 'demo', 'the model loaded before the crash is loaded again');
  });

  it('names out-of-memory as the cause when the engine exhausts its heap', async () => {
    await assert.rejects(client.runOp({ op: 'ablate', heads: ['0.0'], prompt: 'x' }), (e: EngineError) => e.kind === 'crashed' && /ran out of memory \(limit 96 MB/.test(e.message));
    assert.match(crashes.at(-1)!, /out of memory/);
  });
});

describe('crashReason', () => {
  it('tells an out-of-memory abort from a plain exit', () => {
    assert.match(crashReason(null, 'SIGABRT', 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', 512), /ran out of memory \(limit 512 MB/);
    assert.match(crashReason(3, null, 'some warning'), /exited with code 3/);
  });
});

const engineReady = existsSync(join(root, 'src/engine/load.ts')) && existsSync(join(root, 'src/analysis/ops.ts'));

describe('the real engine process on the demo model', { skip: engineReady ? false : 'engine (src/engine/load.ts, src/analysis/ops.ts) not there yet' }, () => {
  let client: EngineClient;
  before(() => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
    client = new EngineClient({ workerPath: join(root, 'dist/worker.js'), cwd: root });
  });
  after(() => client.dispose());

  it('loads the demo model and reports its shape and device', async () => {
    const info = await client.load({ model: 'circuit-demo-gpt2-3l', device: 'cpu' });
    assert.deepEqual([info.cfg.nLayers, info.cfg.nHeads, info.cfg.dModel, info.cfg.dVocab], [3, 4, 128, 50257]);
    assert.equal(info.device, 'cpu');
    assert.match(info.onnxruntime ?? '', /^1\.\d+\.\d+/, 'the ONNX Runtime version is reported');
    assert.ok(info.memory.rssMB > 0);
  });

  it('tokenizes with BOS first, as TransformerLens does', async () => {
    const r = await client.runOp({ op: 'tokenize', text: 'When John' });
    assert.deepEqual(r.tokens, [50256, 2215, 1757]);
    assert.deepEqual(r.strTokens, ['<|endoftext|>', 'When', ' John']);
  });

  it('runs test-prompt: the probabilities are a distribution and the answer of the card ranks first', async () => {
    const r = await client.runOp({ op: 'test-prompt', prompt: 'It was all about salt and', answer: ' pepper', topK: 5 });
    assert.equal(r.answer.rank, 0);
    assert.ok(Math.abs(r.answer.prob - 0.94) < 0.03, `prob ${r.answer.prob}`);
    for (let i = 1; i < r.top.length; i++) assert.ok(r.top[i - 1].logit >= r.top[i].logit);
    assert.ok(r.top.reduce((s, t) => s + t.prob, 0) <= 1 + 1e-6);
  });

  it('cancels a long sweep and answers the next request', async () => {
    const spec = { prompts: Array.from({ length: 8 }, () => ({ clean: 'When John and Mary went to the shops, John gave the bag to', corrupted: 'When John and Mary went to the shops, Mary gave the bag to', answer: ' Mary', wrong: ' John' })) };
    const ctl = new AbortController();
    let progressed = 0;
    const p = client.runOp({ op: 'patch', spec, kind: 'attn_head_out_by_pos' }, { signal: ctl.signal, onProgress: () => { if (++progressed === 1) ctl.abort(); } });
    setTimeout(() => ctl.abort(), 50); // in case the sweep reports no progress before its first chunk ends
    await assert.rejects(p, (e: EngineError) => e.kind === 'cancelled');
    const r = await client.runOp({ op: 'tokenize', text: 'x' });
    assert.deepEqual(r.strTokens, ['<|endoftext|>', 'x']);
  });

  it('sees a killed engine as a crash and works again after a restart', async () => {
    const crashes: string[] = [];
    client.onCrash((r) => crashes.push(r));
    const pid = client.pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => crashes.length === 1);
    const r = await client.runOp({ op: 'tokenize', text: 'When John' });
    assert.deepEqual(r.tokens, [50256, 2215, 1757]);
    assert.notEqual(client.pid, pid);
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
}
