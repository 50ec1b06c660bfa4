// What a panel's webview saves for a window reload (src/protocol/webview.ts PanelState):
// a saved run by its file, an unsaved one inline, attention in full; it survives the JSON
// round trip VS Code puts it through, and the guards the serializers use accept exactly it.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SavedRun } from '../../src/protocol/ops';
import type { AttentionResult } from '../../src/protocol/results';
import { attentionPanelState, isAttentionPanelState, isRunPanelState, runPanelState } from '../../src/protocol/webview';

const run = { version: 1, command: 'dla', model: { id: 'm' }, spec: { op: 'dla' }, result: { values: [1, 2] }, seconds: 1, engine: { device: 'cpu' } } as unknown as SavedRun;
const theme = { kind: 'dark' as const };
const roundTrip = <T>(x: T): unknown => JSON.parse(JSON.stringify(x));

test('a saved run is kept by its file only; an unsaved one inline', () => {
  const byFile = roundTrip(runPanelState({ type: 'run/show', run, theme, title: 't', file: '/w/.circuits/runs/a.json' }));
  assert.deepEqual(byFile, { kind: 'run', file: '/w/.circuits/runs/a.json', title: 't' });
  assert.ok(isRunPanelState(byFile));
  const inline = roundTrip(runPanelState({ type: 'run/show', run, theme }));
  assert.deepEqual(inline, { kind: 'run', run: roundTrip(run) });
  assert.ok(isRunPanelState(inline));
});

test('attention keeps result, head and prompt', () => {
  const result = { dims: [1, 1, 2, 2], values: [1, 0, 0.5, 0.5], strTokens: ['a', 'b'], layers: [0], heads: [0] } as unknown as AttentionResult;
  const s = roundTrip(attentionPanelState({ type: 'attention/show', result, focus: { layer: 0, head: 0 }, prompt: 'ab', theme }));
  assert.ok(isAttentionPanelState(s));
  assert.deepEqual(s, { kind: 'attention', result: roundTrip(result), focus: { layer: 0, head: 0 }, prompt: 'ab' });
  assert.ok(!isRunPanelState(s));
});

test('the guards refuse what names nothing', () => {
  for (const bad of [undefined, null, 'x', {}, { kind: 'run' }, { kind: 'run', file: 3 }, { kind: 'run', run: {} }, { kind: 'attention' }, { kind: 'attention', result: { values: 'no' } }]) {
    assert.ok(!isRunPanelState(bad) && !isAttentionPanelState(bad), JSON.stringify(bad));
  }
});
