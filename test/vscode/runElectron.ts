// The same extension-host suites (out/vscode-tests.js) in desktop VS Code, through
// @vscode/test-electron, for machines that can download VS Code (`npm run
// test:vscode:desktop`). CI and offline machines use test/vscode/runWeb.ts instead.
// Env: VSCODE_VERSION (default 'stable'), VSCODE_EXECUTABLE (use an installed VS Code).
import { runTests } from '@vscode/test-electron';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { VscodeTestResults } from './index';

const repoRoot = resolve(__dirname, '..', '..');

async function main(): Promise<number> {
  const sessionDir = mkdtempSync(join(tmpdir(), 'circuit-vscode-desktop-'));
  const resultsFile = join(sessionDir, 'vscode-results.json');
  let code = 0;
  try {
    await runTests({
      version: process.env.VSCODE_VERSION ?? 'stable',
      vscodeExecutablePath: process.env.VSCODE_EXECUTABLE,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: join(repoRoot, 'out', 'vscode-tests.js'),
      extensionTestsEnv: { CIRCUIT_VSCODE_RESULTS: resultsFile },
      launchArgs: [
        join(repoRoot, 'test', 'vscode', 'workspace'),
        '--user-data-dir', join(sessionDir, 'user-data'),
        '--extensions-dir', join(sessionDir, 'extensions'),
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--disable-extensions',
      ],
    });
  } catch (err) {
    console.error(`error: ${(err as Error)?.message ?? err}`);
    code = 1;
  }
  try {
    const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as VscodeTestResults;
    for (const t of r.tests) console.log(`  ${t.state === 'passed' ? '✔' : t.state === 'failed' ? '✖' : '-'} ${t.title}${t.error ? `: ${t.error.split('\n')[0]}` : ''}`);
    console.log(`${r.passed} passed, ${r.failed} failed`);
    if (r.failed > 0) code = 1;
  } catch {
    console.log('0 passed, 1 failed');
    code = 1;
  }
  rmSync(sessionDir, { recursive: true, force: true });
  return code;
}

main().then((code) => process.exit(code));
