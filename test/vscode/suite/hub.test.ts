// Load Model with a Hub id, the way a user loads gpt2 or pythia-70m: the setting
// circuitExplorer.hubBaseUrl points at a local server in the Hub's URL layout
// (/{repo}/resolve/{revision}/{file}) serving a tiny GPT-NeoX checkpoint, and the command
// downloads it through the engine process into the extension's storage, loads it, and
// loads it again from there without the network. The repo id is unique per run, so no
// Hugging Face cache on the machine can answer instead of the server.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CircuitExplorerApi } from '../../../src/extension/extension';
import type { ModelInfo } from '../../../src/protocol/rpc';
import { startHubServer, type HubServer } from '../../support/hubServer';
import { makeTinyCheckpoint } from '../../support/tinyCheckpoint';

const EXTENSION_ID = 'circuit-explorer.circuit-explorer';

describe('Load Model from the Hub (local server)', function () {
  this.timeout(300_000);
  const repo = `circuit-tests/tiny-neox-${process.pid}-${Date.now()}`;
  let api: CircuitExplorerApi;
  let served: string;
  let hub: HubServer;
  const config = () => vscode.workspace.getConfiguration('circuitExplorer');

  before(async () => {
    api = await vscode.extensions.getExtension<CircuitExplorerApi>(EXTENSION_ID)!.activate();
    await vscode.commands.executeCommand('circuitExplorer.unloadModel');
    served = mkdtempSync(join(tmpdir(), 'ce-hub-served-'));
    makeTinyCheckpoint(join(served, repo), { arch: 'gpt_neox', seed: 9, nLayers: 2 });
    hub = await startHubServer(served);
    await config().update('hubBaseUrl', hub.url, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.commands.executeCommand('circuitExplorer.unloadModel');
    await config().update('hubBaseUrl', undefined, vscode.ConfigurationTarget.Global);
    await hub?.close();
    rmSync(served, { recursive: true, force: true });
  });

  it('downloads the checkpoint into the extension storage and loads it', async () => {
    const info = await vscode.commands.executeCommand<ModelInfo | { error: string }>('circuitExplorer.loadModel', { model: repo });
    assert.ok(info && !('error' in info), `loadModel failed: ${JSON.stringify(info)}`);
    assert.equal(info.id, repo);
    assert.equal(info.cfg.architecture, 'gpt_neox');
    assert.equal(info.cfg.nLayers, 2);
    assert.ok(info.source.startsWith(api.services.context.globalStorageUri.fsPath), `downloaded to ${info.source}, not the extension storage`);
    const files = new Set(hub.requests.filter((r) => r.status < 300).map((r) => r.file));
    for (const f of ['config.json', 'model.safetensors', 'vocab.json']) assert.ok(files.has(f), `${f} was not downloaded (asked: ${[...files].join(', ')})`);
    assert.equal(api.services.session.model?.id, repo);
  });

  it('loads it again from the download, without asking the server', async () => {
    await vscode.commands.executeCommand('circuitExplorer.unloadModel');
    const before = hub.requests.length;
    const info = await vscode.commands.executeCommand<ModelInfo | { error: string }>('circuitExplorer.loadModel', { model: repo });
    assert.ok(info && !('error' in info), `loadModel failed: ${JSON.stringify(info)}`);
    assert.equal(info.id, repo);
    assert.equal(hub.requests.length, before, 'the second load went to the server');
  });

  it('a repo the Hub does not have fails with one line naming it', async () => {
    const r = await vscode.commands.executeCommand<{ error: string } | ModelInfo>('circuitExplorer.loadModel', { model: 'circuit-tests/no-such-model' });
    assert.ok(r && 'error' in r, 'loading a missing repo did not fail');
    assert.match(r.error, /circuit-tests\/no-such-model/);
    assert.ok(!r.error.includes('\n'), `the error is not one line: ${r.error}`);
  });
});
