/**
 * The panel apps in headless Chromium under their real CSP: token strings render as text
 * (never markup), head cells post head/open by click and keyboard, and the exports carry
 * the data. Skipped where /usr/bin/chromium is missing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { PreviewPage } from '../support/webviewPreview';
import { buildMedia, CHROMIUM, CHROMIUM_ARGS, servePreview } from '../support/webviewPreview';
import { showToken } from '../../webview/shared/format';
import { sampleAttention, sampleRuns, XSS, xssRun } from '../support/webviewSamples';

// Spaces are shown as '·', as the seeds do: the text on screen is this.
const SHOWN = showToken(XSS);

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed`;
const runs = sampleRuns();
const pages: PreviewPage[] = [
  { app: 'result', theme: 'light', message: { type: 'run/show', run: xssRun() as never, theme: { kind: 'light' } } },
  { app: 'attention', theme: 'dark', message: { type: 'attention/show', result: sampleAttention(['<|endoftext|>', XSS, ' Mary', XSS]), prompt: XSS, theme: { kind: 'dark' } } },
  { app: 'result', theme: 'dark', message: { type: 'run/show', run: runs.head_out, theme: { kind: 'dark' } } },
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
