// A person's path through activation patching in the real workbench: open the IOI prompt
// set, run "Circuit Explorer: Activation Patching", read the heatmap the webview drew and
// hold it against the headless CLI on the same file, click a head for its attention
// pattern, hover a prompt word for the logit lens, export the figure. The scenarios share
// one page and run in order (the patching run loads the model the hover then uses).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { frameWith, openFile, pickQuickItem, quickInputOpen, runCommand } from '../vscode/harness/workbench';
import { cliJson, type E2eScenario } from './scenario';

const SET = 'ioi.circuit.json';
const KIND = 'attn_head_out_all_pos';

interface PatchJson {
  kind: string;
  dims: number[];
  values: number[];
}

let heatmap: Frame | undefined;
let strongest: { layer: number; head: number } | undefined;

async function cellValues(frame: Frame): Promise<{ layer: number; head: number; value: number }[]> {
  return frame.locator('rect.cell[data-value]').evaluateAll((rects) =>
    rects.map((r) => ({
      layer: Number(r.getAttribute('data-layer')),
      head: Number(r.getAttribute('data-head')),
      value: Number(r.getAttribute('data-value')),
    })),
  );
}

export const scenarios: E2eScenario[] = [
  {
    name: 'activation patching from the command palette draws the same numbers as the CLI',
    async run({ page, workspace, repoRoot, screenshot }) {
      await openFile(page, SET);
      await runCommand(page, 'Circuit Explorer: Activation Patching');
      await pickQuickItem(page, KIND);
      heatmap = await frameWith(page, 'rect.cell[data-value]');
      const cells = await cellValues(heatmap);
      await screenshot('e2e-patching-heatmap');

      const cli = await cliJson<PatchJson>(repoRoot, ['patch', '--spec', join(workspace, SET), '--kind', KIND]);
      assert.equal(cli.kind, KIND);
      assert.equal(cells.length, cli.values.length, `heatmap has ${cells.length} cells, the CLI gives ${cli.values.length} values`);
      const [, H] = cli.dims;
      let worst = 0;
      for (const c of cells) {
        const expected = cli.values[c.layer * H + c.head];
        worst = Math.max(worst, Math.abs(c.value - expected));
      }
      // Same engine, same file: only float32 summation order may differ between the hosts.
      assert.ok(worst < 1e-4, `heatmap differs from the CLI by up to ${worst}`);
      const top = cells.reduce((a, b) => (Math.abs(b.value) > Math.abs(a.value) ? b : a));
      strongest = { layer: top.layer, head: top.head };
    },
  },
  {
    name: 'clicking a head cell opens its attention pattern',
    async run({ page, screenshot }) {
      assert.ok(heatmap && strongest, 'needs the heatmap of the previous scenario');
      const { layer, head } = strongest;
      await heatmap.locator(`rect.cell[data-layer="${layer}"][data-head="${head}"]`).click();
      const tab = page.locator('.tab', { hasText: `Attention L${layer}H${head}` }).first();
      await tab.waitFor({ state: 'visible', timeout: 120_000 });
      const frame = await frameWith(page, 'svg.pattern');
      const titles = await frame.locator('svg.pattern text.title').allTextContents();
      assert.ok(titles.some((t) => t.startsWith(`L${layer}H${head} `)), `the attention panel shows ${titles.join(', ')}, not L${layer}H${head}`);
      assert.ok((await frame.locator('svg.pattern rect.cell').count()) > 0, 'the pattern has no cells');
      await page.waitForTimeout(1000);
      await screenshot('e2e-attention-panel');
    },
  },
  {
    name: 'hovering a prompt word in the prompt set shows the logit lens',
    async run({ page, screenshot }) {
      await page.locator('.tab', { hasText: SET }).first().click();
      // The first clean prompt's line; its string token is one span in the editor.
      const line = page.locator('.view-lines .view-line', { hasText: '"clean": "When John and Mary' }).first();
      await line.waitFor({ state: 'visible', timeout: 30_000 });
      const word = line.locator('span span', { hasText: 'When John' }).first();
      const box = await word.boundingBox();
      const text0 = await word.innerText();
      assert.ok(box && text0.length > 0, 'the prompt text is not on screen');
      // On the "o" of "John" (`"When John…`, monospace): near the start of the string, so
      // still on screen when the editor group is narrow.
      const charWidth = box.width / text0.length;
      await page.mouse.move(box.x + charWidth * 7.5, box.y + box.height / 2);
      const hover = page.locator('.monaco-hover', { hasText: 'Logit lens' }).first();
      await hover.waitFor({ state: 'visible', timeout: 120_000 });
      const text = await hover.innerText();
      assert.match(text, /top prediction/);
      assert.match(text, /Final top-5/);
      await screenshot('e2e-logit-lens-hover');
    },
  },
  {
    name: 'exporting the heatmap writes an SVG with the plotted values',
    async run({ page, workspace, screenshot }) {
      assert.ok(heatmap, 'needs the heatmap of the first scenario');
      // Away from the prompt word, so the logit-lens hover closes and stays closed.
      await page.mouse.move(2, 500);
      await page.keyboard.press('Escape');
      // Focus the result panel (export acts on the active panel) by clicking its page
      // beside the figure, where no cell is.
      await heatmap.locator('body').click({ position: { x: 3, y: 3 } });
      // Every editor group has an active tab; the focused group is the one marked active.
      // Wait for the result panel to be the focused group's tab, then for the extension
      // host to hear of it (view-state changes reach it asynchronously).
      await page.locator('.editor-group-container.active .tab.active', { hasText: KIND }).first().waitFor({ state: 'visible', timeout: 30_000 });
      await page.waitForTimeout(1000);
      // The workspace is a fresh copy; a file already there would add an overwrite question.
      rmSync(join(workspace, `${KIND}.svg`), { force: true });
      await runCommand(page, 'Circuit Explorer: Export Current Figure');
      await pickQuickItem(page, 'SVG');
      // code-server's save dialog is VS Code's simple file dialog: a path in a quick input,
      // the same widget the format pick just used. It fills in the folder first and the
      // suggested name a moment later, so typing a path of our own races the dialog. A
      // person mostly takes the suggestion: wait until the input holds the workspace path
      // ending in the heatmap's name (which also shows the export came from the result
      // panel, not the attention panel), see it stay put, and press Enter.
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible', timeout: 60_000 });
      const expected = join(workspace, `${KIND}.svg`);
      const deadlineDialog = Date.now() + 60_000;
      let value = '';
      let stableSince = 0;
      while (Date.now() < deadlineDialog) {
        const now = await input.inputValue().catch(() => '');
        if (now !== value) {
          value = now;
          stableSince = Date.now();
        } else if (value === expected && Date.now() - stableSince > 750) break;
        await page.waitForTimeout(100);
      }
      assert.equal(value, expected, 'the save dialog does not offer the heatmap\'s name in the workspace');
      const target = expected;
      await page.keyboard.press('Enter');
      const deadline = Date.now() + 60_000;
      while (!existsSync(target) && Date.now() < deadline) await page.waitForTimeout(250);
      await screenshot('e2e-export');
      if (!existsSync(target)) {
        const dialog = (await quickInputOpen(page)) ? await page.locator('.quick-input-widget').innerText().catch(() => '') : '(closed)';
        assert.fail(`no file at ${target} after the export; the quick input: ${dialog.replace(/\s+/g, ' ').slice(0, 300)}`);
      }
      const svg = readFileSync(target, 'utf8');
      assert.match(svg, /<svg/);
      const plotted = await cellValues(heatmap);
      const exported = [...svg.matchAll(/data-value="([^"]+)"/g)].map((m) => Number(m[1]));
      assert.deepEqual(exported, plotted.map((c) => c.value), `the SVG holds ${exported.length} values, the heatmap ${plotted.length}`);
    },
  },
];
