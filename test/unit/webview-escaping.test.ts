/**
 * The panel apps in headless Chromium under their real CSP: token strings render as text
 * (never markup), head cells post head/open and attention pattern cells score/open by click
 * and keyboard, and the exports carry the data. Skipped where /usr/bin/chromium is missing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ScoreAttributionResult } from '../../src/protocol/results';
import { chromium } from 'playwright-core';
import type { PreviewPage } from '../support/webviewPreview';
import { buildMedia, CHROMIUM, CHROMIUM_ARGS, servePreview } from '../support/webviewPreview';
import { showToken } from '../../webview/shared/format';
import { sampleAttention, sampleRuns, XSS, xssRun } from '../support/webviewSamples';

// Spaces are shown as '·', as the seeds do: the text on screen is this.
const SHOWN = showToken(XSS);

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed`;
const runs = sampleRuns();
// The score run with an injection attempt as its key and query tokens.
const scoreRun = structuredClone(runs.score);
const scoreResult = scoreRun.result as ScoreAttributionResult;
scoreResult.strTokens = scoreResult.strTokens.map((t, i) => (i === scoreResult.keyPos || i === scoreResult.queryPos ? XSS : t));
const pages: PreviewPage[] = [
  { app: 'result', theme: 'light', message: { type: 'run/show', run: xssRun() as never, theme: { kind: 'light' } } },
  { app: 'attention', theme: 'dark', message: { type: 'attention/show', result: sampleAttention(['<|endoftext|>', XSS, ' Mary', XSS]), prompt: XSS, theme: { kind: 'dark' } } },
  { app: 'result', theme: 'dark', message: { type: 'run/show', run: runs.head_out, theme: { kind: 'dark' } } },
  { app: 'result', theme: 'light', message: { type: 'run/show', run: scoreRun, theme: { kind: 'light' } } },
];

let browser: Browser;
let server: Awaited<ReturnType<typeof servePreview>>;
const problems: string[] = [];

before(async () => {
  if (skip) return;
  buildMedia();
  server = await servePreview(pages);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(i: number): Promise<Page> {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    (window as unknown as { alert: () => void }).alert = () => { (window as unknown as { __alerted: boolean }).__alerted = true; };
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await page.goto(server.url(i));
  await page.waitForSelector('h1');
  return page;
}

const posted = (page: Page) => page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);

test('a prompt `<img src=x onerror=alert(1)>` renders as text in the result panel', { skip }, async () => {
  const page = await open(0);
  assert.equal(await page.locator('img').count(), 0);
  const text = await page.locator('body').innerText();
  assert.ok(text.includes(SHOWN), 'the token is shown literally');
  assert.equal(await page.locator('td.mono').first().innerText(), SHOWN);
  assert.equal(await page.evaluate(() => (window as unknown as { __alerted?: boolean }).__alerted), undefined);
  assert.deepEqual(problems, []);
  await page.close();
});

test('tokens render as text in the attention panel too', { skip }, async () => {
  const page = await open(1);
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.locator('.token-text .tok', { hasText: SHOWN }).count(), 4);
  assert.ok((await page.locator('h1').innerText()).includes(XSS), 'the prompt in the title keeps its spaces');
  // Hovering a destination colours where it attends; the row sums to 1 so some token is coloured.
  await page.hover('.token-text .tok[data-pos="2"]');
  const bg = await page.locator('.token-text .tok').evaluateAll((els) => els.map((e) => (e as HTMLElement).style.backgroundColor).filter(Boolean));
  assert.ok(bg.length > 0);
  assert.deepEqual(problems, []);
  await page.close();
});

test('attention pattern cells: click and keyboard post score/open for the head shown large, keys never after the query', { skip }, async () => {
  const page = await open(1);
  // 4 tokens: the causal triangle has 4·5/2 cells, one of them in the tab order.
  assert.equal(await page.locator('svg.pattern rect.cell').count(), 10);
  assert.equal(await page.locator('svg.pattern rect.cell[tabindex="0"]').count(), 1);
  await page.hover('svg.pattern rect.cell[data-dest="3"][data-src="1"]');
  assert.ok((await page.locator('.tooltip').innerText()).includes('split this attention score (key side)'));
  await page.click('svg.pattern rect.cell[data-dest="3"][data-src="1"]');
  await page.getByRole('button', { name: 'Head L1H2', exact: true }).click();
  // The tab stop is the last query's first key; up, then right past the diagonal stops on it.
  await page.locator('svg.pattern rect.cell[tabindex="0"]').focus();
  for (const key of ['ArrowUp', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'Enter']) await page.keyboard.press(key);
  assert.deepEqual((await posted(page)).filter((m) => m.type === 'score/open'), [
    { type: 'score/open', layer: 0, head: 0, query: 3, key: 1 },
    { type: 'score/open', layer: 1, head: 2, query: 2, key: 2 },
  ]);
  assert.deepEqual(problems, []);
  await page.close();
});

test('head cells: click and keyboard post head/open; exports carry the data', { skip }, async () => {
  const page = await open(2);
  const cells = page.locator('rect.cell[data-head]');
  assert.equal(await cells.count(), 12);
  await page.locator('rect.cell[data-layer="2"][data-head="1"]').click();
  await page.locator('rect.cell[data-layer="0"][data-head="0"]').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  const heads = (await posted(page)).filter((m) => m.type === 'head/open');
  assert.deepEqual(heads, [
    { type: 'head/open', layer: 2, head: 1, promptIndex: 0 },
    { type: 'head/open', layer: 1, head: 1, promptIndex: 0 },
  ]);
  const values = (runs.head_out.result as { values: number[] }).values;
  assert.equal(await page.locator('rect.cell[data-layer="1"][data-head="3"]').getAttribute('data-value'), String(values[1 * 4 + 3]));

  for (const name of ['CSV', 'SVG', 'PNG', 'JSON']) await page.getByRole('button', { name, exact: true }).click();
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'export/save').length === 4);
  const saves = (await posted(page)).filter((m) => m.type === 'export/save') as unknown as { format: string; data: string; suggestedName: string }[];
  const csv = saves.find((s) => s.format === 'csv')!;
  const lines = csv.data.trim().split('\n');
  assert.equal(lines[0], 'facet,layer,head,value');
  assert.equal(lines.length, 13);
  assert.equal(Number(lines[1 + 1 * 4 + 3].split(',')[3]), values[7]);
  const svg = saves.find((s) => s.format === 'svg')!.data;
  assert.ok(svg.startsWith('<svg') && svg.includes('data-value') && !svg.includes('var(--'), 'standalone SVG with resolved colours');
  assert.ok(Buffer.from(saves.find((s) => s.format === 'png')!.data, 'base64').subarray(1, 4).toString() === 'PNG');
  assert.equal(JSON.parse(saves.find((s) => s.format === 'json')!.data).command, 'patch');
  assert.equal(saves[0].suggestedName, 'attn_head_out_all_pos.csv');
  assert.deepEqual(problems, []);
  await page.close();
});

test('score attribution: tokens as text, head cells open their layer\'s head, misc and MLP cells do not; CSV pieces sum to the score', { skip }, async () => {
  const page = await open(3);
  assert.equal(await page.locator('img').count(), 0);
  const facts = await page.locator('.score-facts dd').allInnerTexts();
  assert.deepEqual(facts.slice(0, 2), [`${SHOWN} (${scoreResult.queryPos})`, `${SHOWN} (${scoreResult.keyPos})`]);
  // Misc pieces are tagged cells; only the earlier layers' heads (2 × 4) are heads.
  assert.deepEqual(await page.locator('text.cell-tag').allTextContents(), ['W_E', 'W_pos', 'b_O', 'b_K']);
  assert.equal(await page.locator('rect.cell[data-head]').count(), 8);
  await page.locator('rect.cell[data-tag="W_E"]').click();
  await page.locator('rect.cell[data-layer="0"]:not([data-head])').click(); // MLP 0
  await page.locator('rect.cell[data-layer="1"][data-head="2"]').click();
  // The misc row sits above layer 0: arrow down from W_E reaches head 0.0.
  await page.locator('rect.cell[data-tag="W_E"]').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  assert.deepEqual((await posted(page)).filter((m) => m.type === 'head/open'), [
    { type: 'head/open', layer: 1, head: 2, promptIndex: 0 },
    { type: 'head/open', layer: 0, head: 0, promptIndex: 0 },
  ]);
  assert.equal(await page.locator('p.check.ok').count(), 1);

  await page.getByRole('button', { name: 'CSV', exact: true }).click();
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'export/save'));
  const csv = ((await posted(page)).find((m) => m.type === 'export/save') as unknown as { data: string }).data;
  const rows = csv.trim().split('\n').map((l) => l.split(','));
  assert.deepEqual(rows[0], ['component', 'layer', 'head', 'value']);
  const comps = scoreResult.components.values;
  assert.equal(Number(rows.find((r) => r[0] === '1.2')![3]), comps[1 * 5 + 2]);
  // Every piece row (not total/actual/pattern) adds up to the model's score.
  const pieces = rows.slice(1).filter((r) => !['total', 'actual', 'pattern'].includes(r[0]));
  assert.equal(pieces.length, 4 + comps.length);
  const sum = pieces.reduce((a, r) => a + Number(r[3]), 0);
  assert.ok(Math.abs(sum - scoreResult.actual) < 1e-6, `${sum} vs ${scoreResult.actual}`);
  assert.deepEqual(problems, []);
  await page.close();
});
