// The extension-tests entry the VS Code extension host loads (`extensionTestsPath`), in
// code-server (test/vscode/runWeb.ts) and in desktop VS Code (test/vscode/runElectron.ts).
// esbuild bundles it, mocha and every test/vscode/suite/*.test.ts into out/vscode-tests.js
// (scripts/tools/build-tests.mjs). The host's own stdout is not visible from a browser
// session, so the results go to a JSON file the runner reads: one line per test, and counts.
import Mocha from 'mocha';
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Shape of the results file; test/vscode/harness/extensionTests.ts reads it. */
export interface VscodeTestResults {
  passed: number;
  failed: number;
  pending: number;
  tests: { title: string; state: 'passed' | 'failed' | 'pending'; ms?: number; error?: string }[];
}

/** out/vscode-tests.js lives in out/ of the checkout. */
const repoRoot = resolve(__dirname, '..');

export function resultsPath(): string {
  return process.env.CIRCUIT_VSCODE_RESULTS ?? join(repoRoot, '.test-artifacts', 'vscode-results.json');
}

function loadSuites(mocha: Mocha): void {
  const dir = join(repoRoot, 'test', 'vscode', 'suite');
  const names = readdirSync(dir).filter((n) => n.endsWith('.test.ts')).sort();
  for (const name of names) {
    const file = join(dir, name);
    // mocha's BDD globals (describe/it) must exist while each suite file is evaluated.
    mocha.suite.emit('pre-require', globalThis, file, mocha);
    // esbuild turns this template into a bundle of every ./suite/*.test.ts (a glob import),
    // so the suites are compiled with the index and no TypeScript loader runs in the host.
    require(`./suite/${name.slice(0, -'.ts'.length)}.ts`);
    mocha.suite.emit('post-require', globalThis, file, mocha);
  }
}

function writeResults(results: VscodeTestResults): void {
  const path = resultsPath();
  mkdirSync(dirname(path), { recursive: true });
  // temp + rename: the runner polls for this file and must never read half of it.
  writeFileSync(`${path}.tmp`, JSON.stringify(results, null, 2));
  renameSync(`${path}.tmp`, path);
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 120_000, reporter: 'dot' });
  const results: VscodeTestResults = { passed: 0, failed: 0, pending: 0, tests: [] };
  try {
    loadSuites(mocha);
  } catch (err) {
    results.failed = 1;
    results.tests.push({ title: 'loading test/vscode/suite', state: 'failed', error: String((err as Error)?.stack ?? err) });
    writeResults(results);
    return Promise.reject(err);
  }
  return new Promise((resolvePromise, reject) => {
    const runner = mocha.run((failures) => {
      writeResults(results);
      if (failures > 0) reject(new Error(`${failures} VS Code test(s) failed`));
      else resolvePromise();
    });
    runner.on('pass', (test) => {
      results.passed++;
      results.tests.push({ title: test.fullTitle(), state: 'passed', ms: test.duration });
    });
    runner.on('fail', (test, err: Error) => {
      results.failed++;
      results.tests.push({ title: test.fullTitle(), state: 'failed', error: String(err?.stack ?? err) });
    });
    runner.on('pending', (test) => {
      results.pending++;
      results.tests.push({ title: test.fullTitle(), state: 'pending' });
    });
  });
}
