// The extension in a real extension host, on the bundled demo model: activation, every
// command run through executeCommand with arguments that skip its prompts, the sidebar
// trees, saved runs (written, listed newest first, reopened) and the hover logit lens.
// Numbers are checked against invariants and the demo model's card, never against
// themselves.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CircuitExplorerApi } from '../../../src/extension/extension';
import { openScoreSplit } from '../../../src/extension/panels/attentionPanel';
import type { CommandOutcome } from '../../../src/extension/runAndShow';
import type { ModelInfo } from '../../../src/protocol/rpc';
import type { PromptSetNode } from '../../../src/extension/views/promptSetsView';

const EXTENSION_ID = 'circuit-explorer.circuit-explorer';
const DEMO = 'circuit-demo-gpt2-3l';

function workspaceDir(): string {
  return vscode.workspace.workspaceFolders![0].uri.fsPath;
}
const ioiFile = () => join(workspaceDir(), 'ioi.circuit.json');
const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol;

/** Runs a command; a failure (returned as {error}) fails the test with its message. */
async function exec<T = CommandOutcome>(id: string, args?: unknown): Promise<T> {
  const r = await vscode.commands.executeCommand<T | { error: string } | undefined>(`circuitExplorer.${id}`, args);
  assert.ok(r !== undefined, `${id} returned nothing (did it wait for input?)`);
  if (typeof r === 'object' && r !== null && 'error' in r) assert.fail(`${id} failed: ${(r as { error: string }).error}`);
  return r as T;
}

function savedJson(file: string): { version: number; command: string; model: { id: string }; result: unknown; spec: unknown } {
  assert.ok(file.startsWith(join(workspaceDir(), '.circuits', 'runs')), `run saved outside .circuits/runs: ${file}`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

describe('Circuit Explorer extension', function () {
  this.timeout(300_000);
  let api: CircuitExplorerApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<CircuitExplorerApi>(EXTENSION_ID)!;
    api = await ext.activate();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('registers every command package.json contributes', async () => {
    const pkg = JSON.parse(readFileSync(join(api.services.context.extensionPath, 'package.json'), 'utf8')) as { contributes: { commands: { command: string }[] } };
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = pkg.contributes.commands.map((c) => c.command);
    assert.ok(contributed.length >= 12);
    for (const c of contributed) assert.ok(registered.has(c), `${c} is contributed but not registered`);
  });

  it('lists the workspace prompt set in the Prompt Sets tree, with its prompts', async () => {
    const sets = await api.views.promptSets.getChildren();
    const ioi = sets.find((n) => n.specFile === ioiFile());
    assert.ok(ioi, `ioi.circuit.json not in the tree: ${sets.map((s) => s.specFile).join(', ')}`);
    const expected = JSON.parse(readFileSync(ioiFile(), 'utf8')) as { prompts: { clean: string }[] };
    const prompts = await api.views.promptSets.getChildren(ioi);
    assert.equal(prompts.length, expected.prompts.length);
    const item = api.views.promptSets.getTreeItem(prompts[0]);
    assert.equal(item.label, expected.prompts[0].clean);
    assert.equal(item.contextValue, 'circuitPrompt');
  });

  it('loads the demo model and reports its shape and device', async () => {
    const info = await exec<ModelInfo>('loadModel', { model: DEMO });
    assert.deepEqual([info.cfg.nLayers, info.cfg.nHeads, info.cfg.dModel], [3, 4, 128]);
    assert.equal(api.services.session.model?.id, DEMO);
    assert.ok(['cpu', 'webgpu', 'cuda', 'dml', 'coreml'].includes(info.device));
  });

  it('shows a prompt\'s tokens under it once a model is loaded', async () => {
    const ioi = (await api.views.promptSets.getChildren()).find((n) => n.specFile === ioiFile())!;
    const [first] = await api.views.promptSets.getChildren(ioi);
    const tokens = (await api.views.promptSets.getChildren(first)) as Extract<PromptSetNode, { kind: 'token' }>[];
    assert.equal(tokens[0].token, '<|endoftext|>');
    // The tokens spell the prompt back (BPE is lossless).
    const clean = JSON.parse(readFileSync(ioiFile(), 'utf8')).prompts[0].clean as string;
    assert.equal(tokens.slice(1).map((t) => t.token).join(''), clean);
  });

  it('Test Prompt: saves a run whose answer matches the model card', async () => {
    const { file } = await exec('testPrompt', { prompt: 'It was all about salt and', answer: ' pepper', topK: 5 });
    const saved = savedJson(file);
    assert.equal(saved.version, 1);
    assert.equal(saved.command, 'test-prompt');
    assert.equal(saved.model.id, DEMO);
    const r = saved.result as { answer: { rank: number; prob: number }; top: { token: string }[] };
    assert.equal(r.answer.rank, 0);
    assert.ok(close(r.answer.prob, 0.94, 0.02), `P(pepper) = ${r.answer.prob}`);
    assert.equal(r.top[0].token, ' pepper');
  });

  it('Show Attention Patterns: causal patterns whose rows sum to one', async () => {
    const { run } = await exec<CommandOutcome<'attention'>>('showAttention', { prompt: 'When John and Mary went to the shops' });
    const { dims, values } = run.result;
    const [L, H, T, T2] = dims;
    assert.deepEqual([L, H, T === T2], [3, 4, true]);
    for (let row = 0; row < L * H * T; row++) {
      const q = row % T;
      let sum = 0;
      for (let k = 0; k < T; k++) {
        const v = values[row * T + k];
        if (k > q) assert.equal(v, 0, 'attention to a later position');
        sum += v;
      }
      assert.ok(close(sum, 1, 1e-4), `row ${row} sums to ${sum}`);
    }
  });

  it('a cell of the attention panel splits its score: L1H0, last query → key 0, saved, pieces add up to the model\'s score', async () => {
    const shown = api.panels.attention();
    assert.ok(shown?.prompt, 'the attention panel knows its prompt');
    const T = shown.result.dims[3];
    // The path the webview's score/open takes, on what the panel shows.
    const out = (await openScoreSplit(shown, { layer: 1, head: 0, query: T - 1, key: 0 })) as CommandOutcome<'score-attribution'> | { error: string } | undefined;
    assert.ok(out && !('error' in out), `score split failed: ${JSON.stringify(out)}`);
    assert.equal(savedJson(out.file).command, 'score-attribution');
    const r = out.run.result;
    assert.deepEqual([r.layer, r.head, r.side, r.queryPos, r.keyPos], [1, 0, 'key', T - 1, 0]);
    assert.deepEqual(r.strTokens, shown.result.strTokens, 'the same prompt, split the same way');
    const sum = r.components.values.reduce((a, b) => a + b, 0) + r.embed + (r.posEmbed ?? 0) + r.attnBias + r.otherBias;
    assert.ok(Math.abs(sum - r.actual) < 1e-4, `Σ pieces ${sum} vs hook_attn_scores ${r.actual}`);
    // A key after the query is masked: refused, naming the positions.
    await assert.rejects(openScoreSplit(shown, { layer: 1, head: 0, query: 0, key: 1 }), /key 1/);
  });

  let residPre: CommandOutcome<'patch'>;
  it('Activation Patching (resid_pre) on the prompt set: clean/corrupted from the card; layer 0 sums to one', async () => {
    residPre = await exec<CommandOutcome<'patch'>>('activationPatching', { specFile: ioiFile(), kind: 'resid_pre' });
    const r = residPre.run.result;
    assert.ok(close(r.clean, -0.3109, 2e-3) && close(r.corrupted, 0.3109, 2e-3), `clean ${r.clean}, corrupted ${r.corrupted}`);
    const [L, T] = r.dims;
    assert.equal(L, 3);
    // At layer 0 the residual is just the embeddings: patching the one position where a
    // pair differs makes that corrupted run clean, any other position changes nothing.
    // Each prompt is fixed by exactly one position, so layer 0's values add up to 1.
    const row0 = r.values.slice(0, T);
    assert.ok(close(row0.reduce((a, b) => a + b, 0), 1, 1e-3), `layer 0 sums to ${row0.reduce((a, b) => a + b, 0)}`);
    assert.ok(close(row0[0], 0, 1e-6), 'BOS is the same in both runs');
  });

  it('Activation Patching on the selected prompt of a prompt-set editor (the file\'s settings kept)', async () => {
    const doc = await vscode.workspace.openTextDocument(ioiFile());
    const editor = await vscode.window.showTextDocument(doc);
    const at = doc.getText().indexOf('"clean"');
    editor.selection = new vscode.Selection(doc.positionAt(at), doc.positionAt(at + 20));
    const { run } = await exec<CommandOutcome<'patch'>>('activationPatching', { kind: 'resid_pre' });
    assert.equal(run.spec.spec.prompts.length, 1);
    assert.equal(run.spec.spec.prependBos, true);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('Attribution Patching (attn_head_out_all_pos): saved as attribution, [3, 4], finite, the same clean/corrupted as activation patching', async () => {
    const { file, run } = await exec<CommandOutcome<'patch'>>('attributionPatching', { specFile: ioiFile(), kind: 'attn_head_out_all_pos' });
    const saved = savedJson(file) as unknown as typeof run;
    assert.equal(saved.result.method, 'attribution');
    assert.equal(saved.spec.method, 'attribution');
    assert.match(file, /-attrib-attn_head_out_all_pos\.json$/);
    const r = saved.result;
    assert.deepEqual(r.dims, [3, 4]);
    assert.equal(r.values.length, 12);
    assert.ok(r.values.every(Number.isFinite), `non-finite value in ${r.values.join(', ')}`);
    // The normalisation's two ends are real runs, not estimates: the card's numbers, and
    // those of the activation patching run on the same set.
    const act = residPre.run.result;
    assert.ok(close(r.clean, act.clean, 1e-3) && close(r.corrupted, act.corrupted, 1e-3), `clean ${r.clean} vs ${act.clean}, corrupted ${r.corrupted} vs ${act.corrupted}`);
    assert.ok(close(r.clean, -0.3109, 2e-3) && close(r.corrupted, 0.3109, 2e-3), `clean ${r.clean}, corrupted ${r.corrupted}`);
  });

  it('Path Patching: no path from a head to a receiver in its own or a later layer; earlier senders carry some', async () => {
    const { run } = await exec<CommandOutcome<'path-patch'>>('pathPatching', { specFile: ioiFile(), receivers: '2.0,2.1', receiverInput: 'q' });
    const r = run.result;
    assert.deepEqual(r.dims, [3, 4]);
    assert.deepEqual(r.receivers, ['2.0', '2.1']);
    assert.equal(r.receiverInput, 'q');
    assert.deepEqual(r.values.slice(8, 12), [0, 0, 0, 0]);
    assert.ok(r.values.slice(0, 8).every(Number.isFinite));
    assert.ok(r.values.slice(0, 8).some((v) => v !== 0), 'no earlier head reaches the receivers\' queries');
  });

  it('Direct Logit Attribution: the pieces add up to the logit difference the model gives', async () => {
    const { run } = await exec<CommandOutcome<'dla'>>('directLogitAttribution', { specFile: ioiFile() });
    const r = run.result;
    assert.ok(close(r.total, r.actual, 1e-3), `total ${r.total} vs actual ${r.actual}`);
    assert.ok(close(r.actual, residPre.run.result.clean, 2e-3), `actual ${r.actual} vs clean ${residPre.run.result.clean}`);
  });

  it('Attention Score Attribution (L2H2, key side, each prompt\'s answer): saved, shown, and the pieces add up to the model\'s score', async () => {
    const { file, run } = await exec<CommandOutcome<'score-attribution'>>('scoreAttribution', { specFile: ioiFile(), head: '2.2', side: 'key', key: 'answer' });
    assert.equal(savedJson(file).command, 'score-attribution');
    const shown = api.panels.result();
    assert.equal(shown?.file, file, 'the result panel shows the new run');
    assert.equal(shown?.run.command, 'score-attribution');
    const r = run.result;
    assert.deepEqual([r.layer, r.head, r.side, r.prompts], [2, 2, 'key', 8]);
    // Rows: the two earlier layers; columns: their 4 heads and the MLP.
    assert.deepEqual(r.components.dims, [2, 5]);
    const sum = r.components.values.reduce((a, b) => a + b, 0) + r.embed + (r.posEmbed ?? 0) + r.attnBias + r.otherBias;
    assert.ok(Math.abs(sum - r.actual) < 1e-4, `Σ pieces ${sum} vs hook_attn_scores ${r.actual}`);
    // The key is the first prompt's answer token, the query its last token.
    const first = (JSON.parse(readFileSync(ioiFile(), 'utf8')) as { prompts: { answer: string }[] }).prompts[0];
    assert.equal(r.strTokens[r.keyPos], first.answer);
    assert.equal(r.queryPos, r.strTokens.length - 1);
    assert.ok(r.pattern > 0 && r.pattern < 1, `attention probability ${r.pattern}`);
    // One prompt, query side, the key named by its token: the same identity holds.
    const one = (await exec<CommandOutcome<'score-attribution'>>('scoreAttribution', { prompt: 'When John and Mary went to the shops, John gave the bag to', head: '2.1', side: 'query', key: ' Mary' })).run.result;
    assert.equal(one.keyPos, 4);
    const oneSum = one.components.values.reduce((a, b) => a + b, 0) + one.embed + (one.posEmbed ?? 0) + one.attnBias + one.otherBias;
    assert.ok(Math.abs(oneSum - one.actual) < 1e-4, `Σ pieces ${oneSum} vs hook_attn_scores ${one.actual}`);
  });

  it('Logit Lens: the last layer is the model\'s own prediction', async () => {
    const { run } = await exec<CommandOutcome<'logit-lens'>>('logitLens', { prompt: 'It was all about salt and', tokens: [' pepper'] });
    const last = run.result.layers.at(-1)!;
    assert.equal(last.top[0].token, ' pepper');
    assert.ok(close(last.tracked[' pepper'].prob, 0.94, 0.02));
  });

  it('Ablate Heads: per-token deltas are ablated minus clean loss and average to the loss change', async () => {
    const { run } = await exec<CommandOutcome<'ablate'>>('ablateHeads', { heads: '0.0', mode: 'zero', prompt: 'It was all about salt and pepper, and the wind blew' });
    const r = run.result;
    assert.ok(r.perToken.length > 5);
    for (const t of r.perToken) assert.ok(close(t.delta, t.lossAblated - t.lossClean, 1e-4));
    const mean = r.perToken.reduce((a, t) => a + t.delta, 0) / r.perToken.length;
    assert.ok(close(mean, r.lossAblated - r.lossClean, 1e-3));
  });

  it('Detect Head Types: the strongest previous-token head is L0H0, as the card says', async () => {
    const { run } = await exec<CommandOutcome<'heads'>>('detectHeadTypes', { detect: ['previous'] });
    const s = run.result.scores.previous;
    assert.equal(s.indexOf(Math.max(...s)), 0);
  });

  it('lists runs newest first in the Runs view and reopens one', async () => {
    const nodes = await api.views.runs.getChildren();
    const files = nodes.map((n) => n.file);
    assert.ok(files.length >= 8);
    assert.deepEqual(files, [...files].sort().reverse());
    assert.match(files[0], /-heads\.json$/);
    const opened = await exec<{ file: string; run: { command: string; result: unknown } }>('openRun', { file: files[0] });
    assert.equal(opened.run.command, 'heads');
    assert.deepEqual(opened.run.result, savedJson(files[0]).result);
  });

  it('a failed command saves nothing and reports a one-line error', async () => {
    const before = (await api.views.runs.getChildren()).length;
    const r = await vscode.commands.executeCommand<{ error?: string }>('circuitExplorer.activationPatching', { specFile: ioiFile(), kind: 'resid_post_typo' });
    assert.match(r?.error ?? '', /unknown patching kind "resid_post_typo"/);
    assert.ok(!(r?.error ?? '').includes('\n'));
    assert.equal((await api.views.runs.getChildren()).length, before);
  });

  it('hover: the logit lens of the hovered token, equal to the prediction on the prompt cut there', async () => {
    const doc = await vscode.workspace.openTextDocument(ioiFile());
    await vscode.window.showTextDocument(doc);
    const text = doc.getText();
    const at = text.indexOf('and Mary') + 'and M'.length; // inside " Mary", the 5th token after BOS
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(at));
    const md = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value)).join('\n');
    assert.match(md, /Logit lens/);
    assert.match(md, /position 4\)/);
    // Causal attention: the prediction at " Mary" is the prediction after "When John and Mary".
    const { run } = await exec<CommandOutcome<'test-prompt'>>('testPrompt', { prompt: 'When John and Mary', answer: ' went', topK: 1 });
    const top1 = run.result.top[0].token.replace(/ /g, '·');
    const finalLine = md.split('\n').find((l) => l.startsWith('**Final top-5:**'))!;
    assert.ok(finalLine.replace(/\\/g, '').startsWith(`**Final top-5:** ${top1} `), `hover "${finalLine}" does not start with ${top1}`);
    // The second hover is served from the cache and says the same.
    const again = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(at));
    assert.equal(again.flatMap((h) => h.contents).map((c) => (c as vscode.MarkdownString).value).join('\n'), md);
  });

  it('adds, edits and removes a prompt in a prompt-set file, leaving the rest of the file as it was', async () => {
    const scratch = join(workspaceDir(), 'scratch.circuit.json');
    const original = readFileSync(ioiFile(), 'utf8');
    writeFileSync(scratch, original);
    try {
      const entry = { clean: 'It was all about salt and', corrupted: 'It was all about bread and', answer: ' pepper', wrong: ' butter' };
      await exec<boolean>('addPrompt', { specFile: scratch, entry });
      const added = readFileSync(scratch, 'utf8');
      const parsed = JSON.parse(added) as { prompts: unknown[] };
      assert.equal(parsed.prompts.length, 9);
      assert.deepEqual(parsed.prompts[8], entry);
      const lastOld = original.lastIndexOf('}', original.lastIndexOf(']'));
      assert.equal(added.slice(0, lastOld + 1), original.slice(0, lastOld + 1), 'text before the new prompt changed');
      await exec<boolean>('editPrompt', { specFile: scratch, promptIndex: 8, entry: { ...entry, wrong: ' sugar' } });
      assert.equal((JSON.parse(readFileSync(scratch, 'utf8')) as { prompts: { wrong: string }[] }).prompts[8].wrong, ' sugar');
      await exec<boolean>('removePrompt', { specFile: scratch, promptIndex: 8, confirm: false });
      assert.deepEqual(JSON.parse(readFileSync(scratch, 'utf8')), JSON.parse(original));
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      if (existsSync(scratch)) rmSync(scratch);
    }
  });

  it('Export Current Figure asks the open panel for its figure', async () => {
    await exec('openRun', { file: residPre.file });
    assert.equal(await exec<boolean>('exportFigure', { format: 'json' }), true);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  });

  it('Unload Model frees the model', async () => {
    await exec<boolean>('unloadModel');
    assert.equal(api.services.session.model, undefined);
    // Without a model (and without hover.autoLoadModel) the hover offers to load one.
    const doc = await vscode.workspace.openTextDocument(ioiFile());
    await vscode.window.showTextDocument(doc);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(doc.getText().indexOf('and Mary') + 5));
    const md = hovers.flatMap((h) => h.contents).map((c) => (c as vscode.MarkdownString).value).join('\n');
    assert.match(md, /load a model/);
    assert.doesNotMatch(md, /Logit lens/);
  });
});
