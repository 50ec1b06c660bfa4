// Bundles the extension-tests entry (test/vscode/index.ts with mocha and every
// test/vscode/suite/*.test.ts) into out/vscode-tests.js, the file the extension host
// loads as `extensionTestsPath`. 'vscode' is provided by the host; onnxruntime-node is
// native and resolves from node_modules as it does for dist/extension.js.
import { build } from 'esbuild';

await build({
  entryPoints: ['test/vscode/index.ts'],
  outfile: 'out/vscode-tests.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  logLevel: 'warning',
  // mocha's parallel mode (unused here) resolves worker files by path; harmless in a bundle.
  logOverride: { 'require-resolve-not-external': 'silent' },
  external: ['vscode', 'onnxruntime-node'],
});
