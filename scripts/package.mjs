// Builds a platform-specific .vsix: onnxruntime-node ships native binaries for every
// platform (~270 MB together); a .vsix needs only its own. Usage:
//   node scripts/package.mjs [target]     target: linux-x64 (default: this machine), linux-arm64,
//                                         darwin-arm64, win32-x64, win32-arm64
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const target = process.argv[2] ?? `${process.platform}-${process.arch}`;
const [platform, arch] = target.split('-');
const bin = 'node_modules/onnxruntime-node/bin/napi-v6';
if (!existsSync(join(bin, platform, arch))) {
  console.error(`error: onnxruntime-node has no binaries for ${target} (${bin}/${platform}/${arch})`);
  process.exit(2);
}
// vsce applies every `!pattern` after all ignores, whatever the order, so the .vscodeignore's
// "keep onnxruntime-node/bin/**" is narrowed to this target's folder rather than overridden.
const keepAll = `!${bin.replace('/napi-v6', '')}/**`;
const base = readFileSync('.vscodeignore', 'utf8');
if (!base.includes(keepAll)) throw new Error(`.vscodeignore no longer has the line ${keepAll}`);
const ignoreFile = '.vscodeignore.package';
writeFileSync(ignoreFile, `${base.replace(keepAll, `!${bin}/${platform}/${arch}/**`)}\n${ignoreFile}\n`);
try {
  execFileSync('node', ['scripts/build.mjs'], { stdio: 'inherit' });
  execFileSync('npx', ['vsce', 'package', '--target', target, '--ignoreFile', ignoreFile, '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '-o', `circuit-explorer-${target}.vsix`], { stdio: 'inherit' });
} finally {
  rmSync(ignoreFile, { force: true });
}
