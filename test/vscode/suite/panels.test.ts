// Panels survive a window reload: VS Code hands a restored panel and the state its webview
// saved to the extension's serializers. Here each serializer gets a fresh panel and such a
// state, and must show what the state names: the run read from its file (compared with the
// file itself), an inline run, an attention result. A state naming nothing, or a run file
// that is gone, closes the panel instead of failing.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CircuitExplorerApi } from '../../../src/extension/extension';
import type { CommandOutcome } from '../../../src/extension/runAndShow';

const EXTENSION_ID = 'circuit-explorer.circuit-explorer';

async function exec<T = CommandOutcome>(id: string, args?: unknown): Promise<T> {
  const r = await vscode.commands.executeCommand<T | { error: string } | undefined>(`circuitExplorer.${id}`, args);
  assert.ok(r !== undefined && !(typeof r === 'object' && r !== null && 'error' in r), `${id} failed: ${JSON.stringify(r)}`);
  return r as T;
}

function freshPanel(viewType: string): vscode.WebviewPanel {
  // As VS Code recreates it on reload: no options of ours, no HTML yet.
  return vscode.window.createWebviewPanel(viewType, 'restored', vscode.ViewColumn.One, {});
}

function disposed(panel: vscode.WebviewPanel): Promise<void> {
  return new Promise((resolve) => panel.onDidDispose(() => resolve()));
}

describe('Panels across a window reload', function () {
  this.timeout(300_000);
  let api: CircuitExplorerApi;
  let saved: CommandOutcome;

  before(async () => {
    api = await vscode.extensions.getExtension<CircuitExplorerApi>(EXTENSION_ID)!.activate();
    saved = await exec('testPrompt', { prompt: 'It was all about salt and', answer: ' pepper', topK: 5 });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('package.json activates the extension for both panel types', () => {
    const pkg = JSON.parse(readFileSync(join(api.services.context.extensionPath, 'package.json'), 'utf8')) as { activationEvents: string[] };
    for (const t of ['circuitExplorer.result', 'circuitExplorer.attention']) assert.ok(pkg.activationEvents.includes(`onWebviewPanel:${t}`), t);
  });

  it('a result panel kept by its run file comes back showing that run', async () => {
    const panel = freshPanel('circuitExplorer.result');
    await api.panels.serializers.result.deserializeWebviewPanel(panel, { kind: 'run', file: saved.file });
    const shown = api.panels.result();
    assert.ok(shown, 'no result panel after deserialize');
    assert.deepEqual(shown.run, JSON.parse(readFileSync(saved.file, 'utf8')));
    assert.equal(shown.file, saved.file, 'the file is kept, so the next reload restores from it again');
    assert.equal(panel.webview.options.enableScripts, true);
    assert.match(panel.webview.html, /Content-Security-Policy/);
    assert.match(panel.webview.html, /result\.js/);
    assert.match(panel.title, /test-prompt/);
  });

  it('a result panel kept inline (no file) comes back with that run', async () => {
    const run = JSON.parse(readFileSync(saved.file, 'utf8'));
    run.result.answer.rank = 42; // distinguishable from the file's run
    const panel = freshPanel('circuitExplorer.result');
    await api.panels.serializers.result.deserializeWebviewPanel(panel, { kind: 'run', run });
    const shown = api.panels.result();
    assert.deepEqual(shown?.run, run);
    assert.equal(shown?.file, undefined);
  });

  it('an attention panel comes back with its pattern, head and prompt', async () => {
    const { run } = await exec<CommandOutcome<'attention'>>('showAttention', { prompt: 'When John and Mary went' });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const state = JSON.parse(JSON.stringify({ kind: 'attention', result: run.result, focus: { layer: 1, head: 2 }, prompt: 'When John and Mary went' }));
    const panel = freshPanel('circuitExplorer.attention');
    await api.panels.serializers.attention.deserializeWebviewPanel(panel, state);
    const shown = api.panels.attention();
    assert.deepEqual(shown?.result, run.result);
    assert.deepEqual(shown?.focus, { layer: 1, head: 2 });
    assert.equal(shown?.prompt, 'When John and Mary went');
    assert.match(panel.webview.html, /attention\.js/);
  });

  it('a state naming nothing, or a run file that is gone, closes the panel', async () => {
    for (const [type, state] of [
      ['result', undefined],
      ['result', { kind: 'run', file: join(api.services.runs.dir(), 'gone.json') }],
      ['attention', { kind: 'attention' }],
    ] as const) {
      const panel = freshPanel(`circuitExplorer.${type}`);
      const closed = disposed(panel);
      await api.panels.serializers[type].deserializeWebviewPanel(panel, state);
      await closed;
    }
  });
});
