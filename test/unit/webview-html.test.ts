import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPanelHtml, contentSecurityPolicy, makeNonce } from '../../src/extension/panels/html';
import { promptForRun } from '../../src/extension/panels/runPrompt';
import { isAttentionShowMessage, isExportSaveMessage, isHeadOpenMessage, isRunShowMessage, isScoreOpenMessage, isWebviewReadyMessage } from '../../src/protocol/webview';
import { IOI_PROMPT, sampleAttention, sampleRuns } from '../support/webviewSamples';

const SRC = 'https://file+.vscode-resource.vscode-cdn.net';

test('the panel HTML has a strict CSP whose nonce matches the only script', () => {
  const nonce = makeNonce();
  const html = buildPanelHtml({ cspSource: SRC, nonce, scriptUri: `${SRC}/ext/media/result.js`, styleUri: `${SRC}/ext/media/panels.css`, title: 'dla <b>' });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';
  assert.match(csp, /^default-src 'none'; /);
  assert.ok(csp.includes(`script-src 'nonce-${nonce}'`));
  assert.ok(csp.includes(`style-src ${SRC};`));
  assert.ok(csp.includes(`img-src ${SRC} data:;`));
  assert.ok(!csp.includes('unsafe'), 'no unsafe-inline / unsafe-eval');
  const scripts = [...html.matchAll(/<script([^>]*)>/g)];
  assert.equal(scripts.length, 1);
  assert.ok(scripts[0][1].includes(`nonce="${nonce}"`));
  // No remote resources: every URL is under the webview's resource origin.
  for (const m of html.matchAll(/(?:src|href)="([^"]*)"/g)) assert.ok(m[1].startsWith(SRC), m[1]);
  assert.ok(!/style="/.test(html) && !/<style/.test(html), 'no inline styles');
  assert.ok(html.includes('<title>dla &#60;b&#62;</title>'), 'title escaped');
});

test('nonces are 128-bit and fresh each time', () => {
  const a = makeNonce();
  assert.ok(Buffer.from(a, 'base64url').length >= 16);
  assert.notEqual(a, makeNonce());
  assert.match(contentSecurityPolicy('x', a), new RegExp(`'nonce-${a}'`));
});

test('message guards accept well-formed messages and reject others', () => {
  const run = sampleRuns().dla;
  assert.ok(isRunShowMessage({ type: 'run/show', run, theme: { kind: 'dark' } }));
  assert.ok(!isRunShowMessage({ type: 'run/show', run }));
  assert.ok(isAttentionShowMessage({ type: 'attention/show', result: sampleAttention(), theme: { kind: 'light' } }));
  assert.ok(isHeadOpenMessage({ type: 'head/open', layer: 1, head: 2, promptIndex: 0 }));
  assert.ok(!isHeadOpenMessage({ type: 'head/open', layer: -1, head: 2, promptIndex: 0 }));
  assert.ok(!isHeadOpenMessage({ type: 'head/open', layer: '1', head: 2, promptIndex: 0 }));
  assert.ok(isScoreOpenMessage({ type: 'score/open', layer: 1, head: 0, query: 5, key: 0 }));
  assert.ok(isScoreOpenMessage({ type: 'score/open', layer: 0, head: 3, query: 2, key: 2 }));
  assert.ok(!isScoreOpenMessage({ type: 'score/open', layer: 1, head: 0, query: 2, key: 3 }), 'key after the query is masked');
  assert.ok(!isScoreOpenMessage({ type: 'score/open', layer: 1, head: 0, query: 2.5, key: 0 }));
  assert.ok(!isScoreOpenMessage({ type: 'score/open', layer: 1, head: -1, query: 2, key: 0 }));
  assert.ok(!isScoreOpenMessage({ type: 'score/open', layer: 1, head: 0, query: '2', key: 0 }));
  assert.ok(!isScoreOpenMessage({ type: 'score/open', layer: 1, head: 0, key: 0 }));
  assert.ok(!isScoreOpenMessage({ type: 'head/open', layer: 1, head: 0, query: 2, key: 0 }));
  assert.ok(isExportSaveMessage({ type: 'export/save', format: 'png', data: 'AAAA', suggestedName: 'x.png' }));
  assert.ok(!isExportSaveMessage({ type: 'export/save', format: 'exe', data: '', suggestedName: 'x' }));
  assert.ok(isWebviewReadyMessage({ type: 'webview/ready' }));
  assert.ok(!isWebviewReadyMessage(null));
});

test('a head click finds the prompt of the run it came from', () => {
  const runs = sampleRuns();
  assert.equal(promptForRun(runs.head_out, 0), IOI_PROMPT);
  assert.equal(promptForRun(runs.logit_lens, 0), IOI_PROMPT);
  assert.equal(promptForRun(runs.score, 0), IOI_PROMPT);
  assert.equal(promptForRun(runs.heads, 0), undefined);
});
