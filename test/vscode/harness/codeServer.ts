// Starts code-server (installed by scripts/tools/install.sh into .tools/, run on Node 24)
// on 127.0.0.1 with fresh user-data and extensions folders, no auth, and the settings a
// test session needs (no welcome page, no trust prompt, nothing reaching the network).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface CodeServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  url: string;
  host: string;
  logPath: string;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  repoRoot: string;
  /** Scratch folder for this session: user data, extensions, config, logs. */
  sessionDir: string;
  /** Where the server's own output goes (kept after the session folder is removed). */
  logPath: string;
  /** Extra environment for the server and so for the extension host it spawns. */
  env?: Record<string, string>;
}

export function toolPaths(repoRoot: string): { node: string; entry: string } {
  return {
    node: join(repoRoot, '.tools', 'node24', 'bin', 'node'),
    entry: join(repoRoot, '.tools', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'editor.hover.delay': 150,
  'window.restoreWindows': 'none',
  // The empty secondary side bar only takes room from the panels in the screenshots.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const { node, entry } = toolPaths(opts.repoRoot);
  if (!existsSync(node) || !existsSync(entry)) {
    throw new Error(`code-server is not installed in ${join(opts.repoRoot, '.tools')}; run: bash scripts/tools/install.sh`);
  }
  const userData = join(opts.sessionDir, 'user-data');
  const extensions = join(opts.sessionDir, 'extensions');
  const xdg = join(opts.sessionDir, 'xdg');
  for (const d of [join(userData, 'User'), extensions, xdg]) mkdirSync(d, { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  // An explicit empty config keeps code-server from writing ~/.config/code-server/config.yaml.
  const config = join(opts.sessionDir, 'config.yaml');
  writeFileSync(config, 'auth: none\n');

  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const args = [
    entry,
    '--config', config,
    '--bind-addr', host,
    '--auth', 'none',
    '--user-data-dir', userData,
    '--extensions-dir', extensions,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    // The web workbench honours the `payload` query (extensionDevelopmentPath,
    // extensionTestsPath) only in a built product when the smoke-test driver is on.
    '--vscode-option', 'enable-smoke-test-driver',
    '--log', 'info',
  ];
  const logPath = opts.logPath;
  const log = createWriteStream(logPath);
  const child: ChildProcess = spawn(node, args, {
    cwd: opts.repoRoot,
    env: {
      ...process.env,
      XDG_CONFIG_HOME: xdg,
      XDG_DATA_HOME: join(xdg, 'data'),
      XDG_CACHE_HOME: join(xdg, 'cache'),
      // The extension host inherits this env; keep the test host's Node off any
      // TypeScript loader the outer runner was started with.
      NODE_OPTIONS: '',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);

  await new Promise<void>((ready, fail) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`code-server did not start listening within 120 s; log: ${logPath}`)), 120_000);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('HTTP server listening')) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`code-server exited (code ${code}) before listening; log: ${logPath}`));
    });
  });

  return {
    url: `http://${host}`,
    host,
    logPath,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        // code-server waits for its extension hosts; do not let a stuck one hang CI.
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
