// Bundles the Node side (extension, engine worker, CLI) and the webview apps with esbuild.
// onnxruntime-node is native and stays external; vscode is provided by the host.
import { build } from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
const common = { bundle: true, sourcemap: true, logLevel: 'warning', legalComments: 'none' };

const node = [
  ['src/extension/extension.ts', 'dist/extension.js'],
  ['src/worker/main.ts', 'dist/worker.js'],
  ['src/cli/main.ts', 'dist/cli.js'],
].filter(([entry]) => existsSync(entry));

const jobs = node.map(([entry, outfile]) =>
  build({
    ...common,
    entryPoints: [entry],
    outfile,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode', 'onnxruntime-node'],
    banner: outfile.endsWith('cli.js') ? { js: '#!/usr/bin/env node' } : undefined,
  }),
);

// One small app per panel: webview/<name>/main.ts -> media/<name>.js
if (existsSync('webview')) {
  for (const name of readdirSync('webview')) {
    const entry = join('webview', name, 'main.ts');
    if (!existsSync(entry)) continue;
    jobs.push(
      build({ ...common, entryPoints: [entry], outfile: `media/${name}.js`, platform: 'browser', target: 'es2020', format: 'iife' }),
    );
  }
}

await Promise.all(jobs);
if (watch) console.error('watch mode is not supported; re-run npm run build');
