// Runs the extension-host mocha suites (out/vscode-tests.js) in code-server: the workbench
// is opened with extensionTestsPath in its payload, the Node extension host loads the
// bundle, calls its run(), and when it settles tells the workbench, which calls
// window.codeAutomationExit(code) — the hook VS Code's own browser tests use. The
// per-test results come from the JSON file test/vscode/index.ts writes.
import type { Browser } from 'playwright-core';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VscodeTestResults } from '../index';
import { newPage } from './browser';
import { openWorkbench, type WorkbenchTarget } from './workbench';

export interface ExtensionTestsRun extends VscodeTestResults {
  exitCode: number | null;
}

export async function runExtensionTests(
  browser: Browser,
  target: WorkbenchTarget,
  resultsFile: string,
  artifactsDir: string,
  timeoutMs = 20 * 60_000,
): Promise<ExtensionTestsRun> {
  rmSync(resultsFile, { force: true });
  const page = await newPage(browser);
  const logLines: string[] = [];
  let exitCode: number | null = null;
  const exited = new Promise<void>((done) => {
    void page.exposeFunction('codeAutomationExit', (code: number) => {
      exitCode = code;
      done();
    });
  });
  await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
    logLines.push(`[${type}] ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`);
  });
  page.on('console', (m) => logLines.push(`[console.${m.type()}] ${m.text()}`));
  try {
    await openWorkbench(page, target);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      exited,
      new Promise<void>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`extension tests did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  } catch (err) {
    await page.screenshot({ path: join(artifactsDir, 'vscode-tests-timeout.png') }).catch(() => undefined);
    if (!existsSync(resultsFile)) throw err;
  } finally {
    writeFileSync(join(artifactsDir, 'vscode-tests-browser.log'), logLines.join('\n'));
    await page.context().close().catch(() => undefined);
  }
  if (!existsSync(resultsFile)) {
    return {
      exitCode,
      passed: 0,
      failed: 1,
      pending: 0,
      tests: [{ title: 'extension host test run', state: 'failed', error: `the host exited with ${exitCode} and wrote no results (see .test-artifacts/vscode-tests-browser.log)` }],
    };
  }
  const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as VscodeTestResults;
  return { ...results, exitCode };
}
