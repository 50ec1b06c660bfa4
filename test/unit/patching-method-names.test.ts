// How an attribution patching run is told apart from an activation patching run: its file
// name (runStore), its panel title (runPrompt), the panel's description line and the
// export's suggested name (webview/result/patchText). Runs saved before attribution
// patching existed have no `method` and must still read as activation patching.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SavedRun } from '../../src/protocol/ops';
import type { PatchResult } from '../../src/protocol/results';
import { isAttributionRun, runFileName, runKindName } from '../../src/extension/runStore';
import { runTitle } from '../../src/extension/panels/runPrompt';
import { patchExportName, patchSummary } from '../../webview/result/patchText';
import { sampleRuns } from '../support/webviewSamples';

const runs = sampleRuns();
/** The sample activation run as attribution patching made it (request and result say so). */
function withMethod(run: SavedRun, method: 'activation' | 'attribution'): SavedRun {
  const r = structuredClone(run) as SavedRun<'patch'>;
  r.spec.method = method;
  r.result.method = method;
  return r as unknown as SavedRun;
}
const old = runs.head_out; // no method anywhere, as saved before
const act = withMethod(old, 'activation');
const attr = withMethod(old, 'attribution');
const when = new Date(Date.UTC(2026, 10, 23, 15, 8, 31, 123));

test('run files: attrib-<kind> for attribution patching, patch-<kind> for activation and old runs, the command otherwise', () => {
  assert.equal(runFileName(attr, when), '20261123T150831123Z-attrib-attn_head_out_all_pos.json');
  assert.equal(runFileName(act, when), '20261123T150831123Z-patch-attn_head_out_all_pos.json');
  assert.equal(runFileName(old, when), '20261123T150831123Z-patch-attn_head_out_all_pos.json');
  assert.equal(runKindName(runs.path_patch), 'path-patch');
  assert.equal(runKindName(runs.dla), 'dla');
  assert.deepEqual([isAttributionRun(attr), isAttributionRun(act), isAttributionRun(old), isAttributionRun(runs.dla)], [true, false, false, false]);
});

test('the result is what names the method: a request for attribution answered without it is activation patching', () => {
  const asked = structuredClone(old) as SavedRun<'patch'>;
  asked.spec.method = 'attribution';
  assert.equal(runKindName(asked as unknown as SavedRun), 'patch-attn_head_out_all_pos');
});

test('panel titles: attrib <kind> vs patch <kind>', () => {
  assert.equal(runTitle(attr), 'attrib attn_head_out_all_pos · circuit-demo-gpt2-3l');
  assert.equal(runTitle(old), 'patch attn_head_out_all_pos · circuit-demo-gpt2-3l');
});

test('the description line names the method; old runs read as activation patching', () => {
  const a = patchSummary(attr);
  assert.ok(a.startsWith('Attribution patching (gradient estimate: one backward pass, first order in the patched activation), attn_head_out_all_pos, denoising. '), a);
  assert.ok(!a.includes('Activation patching'));
  for (const run of [old, act]) assert.ok(patchSummary(run).startsWith('Activation patching, attn_head_out_all_pos, denoising. '), patchSummary(run));
  // The normalisation sentence and the clean/corrupted numbers are shared by both methods.
  assert.equal((attr.result as PatchResult).clean, -0.3109);
  assert.ok(a.includes('Mean logit difference: clean -0.311, corrupted 0.311.'), a);
  assert.ok(a.includes('1 = clean behaviour, 0 = corrupted'));
  assert.ok(patchSummary(runs.path_patch).startsWith('Path patching into 2.1 (q). '));
});

test('export names: attrib-<kind> for attribution patching, the kind for activation patching', () => {
  assert.equal(patchExportName(attr), 'attrib-attn_head_out_all_pos');
  assert.equal(patchExportName(old), 'attn_head_out_all_pos');
  assert.equal(patchExportName(runs.path_patch), 'path-patch');
  assert.equal(patchExportName(runs.heads), 'heads');
});
