// What an end-to-end scenario file exports, and what the runner hands each scenario.
// Each test/e2e/*.e2e.ts exports `scenarios`; test/vscode/runWeb.ts runs them in order on
// one workbench page per file, in the same code-server session as the extension suites.
import type { Page } from 'playwright-core';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface E2eContext {
  page: Page;
  repoRoot: string;
  /** The folder the workbench has open (test/vscode/workspace). */
  workspace: string;
  /** .test-artifacts/ of the checkout: screenshots and exports land here. */
  artifacts: string;
  /** Saves a full-page screenshot as .test-artifacts/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
}

export interface E2eScenario {
  name: string;
  run(ctx: E2eContext): Promise<void>;
}

/** Runs `node dist/cli.js … --json` and parses its one JSON document: the reference numbers. */
export function cliJson<T>(repoRoot: string, args: string[]): Promise<T> {
  return new Promise((resolveJson, reject) => {
    execFile(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args, '--json'], { cwd: repoRoot, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`cli ${args.join(' ')} failed: ${stderr.trim().split('\n').pop() ?? err.message}`));
      try {
        resolveJson(JSON.parse(stdout) as T);
      } catch {
        reject(new Error(`cli ${args.join(' ')} printed no JSON: ${stdout.slice(0, 200)}`));
      }
    });
  });
}
