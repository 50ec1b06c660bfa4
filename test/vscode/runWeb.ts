// The VS Code tier and the end-to-end tier in ONE code-server session:
//   1. the extension-host mocha suites (out/vscode-tests.js) in a workbench opened with
//      extensionTestsPath (the host exits when they finish);
//   2. every test/e2e/*.e2e.ts scenario file, each on a fresh workbench page of the same
//      server, driving the real UI with playwright-core.
// Run by scripts/test.sh after the build; alone: `npm run test:vscode` (needs
// scripts/tools/install.sh once). Options: --only vscode|e2e, --grep TEXT (e2e names).
// Writes .test-artifacts/web-summary.json with the counts test.sh adds up.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchBrowser, newPage } from './harness/browser';
import { startCodeServer, type CodeServer } from './harness/codeServer';
import { runExtensionTests } from './harness/extensionTests';
import { openWorkbench, type WorkbenchTarget } from './harness/workbench';
import type { E2eScenario } from '../e2e/scenario';

const repoRoot = resolve(__dirname, '..', '..');
const artifacts = join(repoRoot, '.test-artifacts');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface TierCount {
  passed: number;
  failed: number;
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}

async function runE2e(server: CodeServer, target: WorkbenchTarget, browser: Awaited<ReturnType<typeof launchBrowser>>): Promise<TierCount> {
  const count: TierCount = { passed: 0, failed: 0 };
  const grep = arg('grep');
  const dir = join(repoRoot, 'test', 'e2e');
  const files = readdirSync(dir).filter((f) => f.endsWith('.e2e.ts')).sort();
  for (const file of files) {
    const mod = (await import(join(dir, file))) as { scenarios?: E2eScenario[] };
    const scenarios = (mod.scenarios ?? []).filter((s) => !grep || s.name.includes(grep));
    if (scenarios.length === 0) continue;
    const page = await newPage(browser);
    const consoleLog: string[] = [];
    page.on('console', (m) => consoleLog.push(`[${m.type()}] ${m.text()}`));
    const stem = file.replace(/\.e2e\.ts$/, '');
    const screenshot = async (name: string) => {
      const path = join(artifacts, `${name}.png`);
      await page.screenshot({ path });
      return path;
    };
    try {
      await openWorkbench(page, target);
    } catch (err) {
      await screenshot(`${stem}-open-failed`).catch(() => undefined);
      for (const s of scenarios) {
        count.failed++;
        console.log(`  ✖ e2e ${s.name}: workbench did not open: ${firstLine(err)}`);
      }
      await page.context().close();
      continue;
    }
    for (const s of scenarios) {
      const t0 = Date.now();
      try {
        await s.run({ page, repoRoot, workspace: target.folder, artifacts, screenshot });
        count.passed++;
        console.log(`  ✔ e2e ${s.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (err) {
        count.failed++;
        console.log(`  ✖ e2e ${s.name}: ${firstLine(err)}`);
        const slug = s.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
        await screenshot(`failed-${slug}`).catch(() => undefined);
        // Leave the page in a known state for the next scenario of the file.
        await page.keyboard.press('Escape').catch(() => undefined);
      }
    }
    writeFileSync(join(artifacts, `${stem}-browser.log`), consoleLog.join('\n'));
    await page.context().close();
  }
  console.log(`e2e: ${count.passed} passed, ${count.failed} failed`);
  return count;
}

async function main(): Promise<number> {
  const only = arg('only');
  mkdirSync(artifacts, { recursive: true });
  for (const f of ['dist/extension.js', 'out/vscode-tests.js']) {
    if (!existsSync(join(repoRoot, f))) throw new Error(`${f} is missing; run: npm run build && node scripts/tools/build-tests.mjs`);
  }
  const source = join(repoRoot, 'test', 'vscode', 'workspace');
  if (!existsSync(source)) throw new Error(`the test workspace ${source} is missing`);

  const sessionDir = mkdtempSync(join(tmpdir(), 'circuit-vscode-'));
  // A copy, so saved runs and exported figures never land in the checkout and every
  // session starts from the same files.
  const workspace = join(sessionDir, 'workspace');
  cpSync(source, workspace, { recursive: true });
  const resultsFile = join(sessionDir, 'vscode-results.json');
  const summary: Record<string, TierCount> = {};
  const server = await startCodeServer({ repoRoot, sessionDir, logPath: join(artifacts, 'code-server.log'), env: { CIRCUIT_VSCODE_RESULTS: resultsFile } });
  console.log(`code-server on ${server.url} (log: ${server.logPath})`);
  const browser = await launchBrowser(sessionDir);
  const base: WorkbenchTarget = { serverUrl: server.url, host: server.host, folder: workspace, extensionDevelopmentPath: repoRoot };
  try {
    if (only !== 'e2e') {
      try {
        const r = await runExtensionTests(browser, { ...base, extensionTestsPath: join(repoRoot, 'out', 'vscode-tests.js') }, resultsFile, artifacts);
        for (const t of r.tests) {
          const mark = t.state === 'passed' ? '✔' : t.state === 'failed' ? '✖' : '-';
          console.log(`  ${mark} vscode ${t.title}${t.error ? `: ${t.error.split('\n').slice(0, 3).join(' | ')}` : ''}`);
        }
        summary.vscode = { passed: r.passed, failed: r.failed };
      } catch (err) {
        console.log(`  ✖ vscode extension tests did not run: ${firstLine(err)}`);
        summary.vscode = { passed: 0, failed: 1 };
      }
      console.log(`vscode: ${summary.vscode.passed} passed, ${summary.vscode.failed} failed`);
    }
    if (only !== 'vscode') summary.e2e = await runE2e(server, base, browser);
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
    writeFileSync(join(artifacts, 'web-summary.json'), JSON.stringify(summary, null, 2));
    if (!process.env.KEEP_SESSION) rmSync(sessionDir, { recursive: true, force: true });
  }
  return Object.values(summary).some((c) => c.failed > 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`error: ${firstLine(err)}`);
    writeFileSync(join(artifacts, 'web-summary.json'), JSON.stringify({ harness: { passed: 0, failed: 1 } }));
    process.exit(1);
  },
);
