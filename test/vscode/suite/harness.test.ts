// The harness's own check that the extension under test is the one the host loaded and
// that it activates; it keeps the VS Code tier meaningful before any feature suite exists.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'circuit-explorer.circuit-explorer';

describe('test harness', () => {
  it('loads the extension under development and activates it', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not among the host's extensions`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('opens the test workspace (a copy of test/vscode/workspace)', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1, 'expected exactly one workspace folder');
    const sets = await vscode.workspace.findFiles('*.circuit.json');
    assert.ok(sets.length > 0, `no *.circuit.json in ${folders[0].uri.fsPath}`);
  });
});
