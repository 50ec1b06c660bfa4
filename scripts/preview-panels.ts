/**
 * Renders every panel in headless Chromium, in a light and a dark theme, and saves
 * screenshots to docs/img/ (or --out DIR). Extra saved runs (.circuits/runs/*.json) given
 * as arguments are rendered too. Reports console errors and CSP violations.
 * --demo renders real runs on the bundled demo model instead of the sample results.
 *   node --import tsx scripts/preview-panels.ts [--out DIR] [--demo] [run.json …]
 */
import { readFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { chromium } from 'playwright-core';
import type { SavedRun } from '../src/protocol/ops';
import type { PreviewPage } from '../test/support/webviewPreview';
import { buildMedia, CHROMIUM, CHROMIUM_ARGS, servePreview } from '../test/support/webviewPreview';
import { sampleAttention, sampleRuns } from '../test/support/webviewSamples';
import { demoRuns } from './demo-runs';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const out = outIdx >= 0 ? args.splice(outIdx, 2)[1] : 'docs/img';
  mkdirSync(out, { recursive: true });
  const demoIdx = args.indexOf('--demo');
  const demo = demoIdx >= 0 ? (args.splice(demoIdx, 1), await demoRuns()) : null;
  buildMedia();
  const named: [string, PreviewPage['app'], (t: 'light' | 'dark') => PreviewPage['message']][] = [];
  for (const [name, run] of Object.entries(demo?.runs ?? sampleRuns())) named.push([name, 'result', (t) => ({ type: 'run/show', run, theme: { kind: t } })]);
  for (const file of args) {
    const run = JSON.parse(readFileSync(file, 'utf8')) as SavedRun;
    named.push([basename(file, '.json'), 'result', (t) => ({ type: 'run/show', run, theme: { kind: t } })]);
  }
  named.push(['attention', 'attention', (t) => ({ type: 'attention/show', result: demo?.attention ?? sampleAttention(), focus: { layer: 0, head: 0 }, prompt: demo?.prompt ?? 'When John and Mary went to the shops, John gave the bag to', theme: { kind: t } })]);
  const pages: PreviewPage[] = [];
  const files: string[] = [];
  for (const [name, app, msg] of named) {
    for (const theme of ['light', 'dark'] as const) {
      pages.push({ app, theme, message: msg(theme) });
      files.push(join(out, `${name}-${theme}.png`));
    }
  }
  const server = await servePreview(pages);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  let problems = 0;
  try {
    const page = await browser.newPage({ viewport: { width: 960, height: 640 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') { problems++; console.error(`[${m.type()}] ${m.text()}`); }
    });
    page.on('pageerror', (e) => { problems++; console.error(`[pageerror] ${e.message}`); });
    for (let i = 0; i < pages.length; i++) {
      await page.goto(server.url(i));
      await page.waitForSelector('h1');
      if (pages[i].app === 'attention') {
        // Show the hover state: where a token attends and what attends to it.
        await page.hover('.token-text .tok[data-pos="10"]');
      }
      // The panel's content only (not the empty viewport below it) keeps the PNGs small.
      await page.locator('#app').screenshot({ path: files[i] });
      console.error(`wrote ${files[i]}`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  if (problems) {
    console.error(`${problems} console problem(s)`);
    process.exitCode = 1;
  }
}

void main();
