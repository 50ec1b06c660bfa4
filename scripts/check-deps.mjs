// The dependency rule, made mechanical (see docs/architecture.md):
//   src/protocol imports nothing outside itself;
//   only src/extension imports 'vscode';
//   only src/engine/runtime*.ts imports 'onnxruntime-node';
//   src/engine does not import analysis, cli, extension, worker;
//   src/analysis does not import cli, extension, worker;
//   webview imports only protocol (and d3).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const files = [];
function walk(dir) {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) files.push(p);
  }
}
walk(join(root, 'src'));
try { walk(join(root, 'webview')); } catch { /* none yet */ }

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
for (const f of files) {
  const rel = relative(root, f).replace(/\\/g, '/');
  const src = readFileSync(f, 'utf8');
  for (const m of src.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    const target = spec.startsWith('.') ? relative(root, resolve(dirname(f), spec)).replace(/\\/g, '/') : spec;
    const layer = (p) => (p.startsWith('src/') ? p.split('/')[1] : p.startsWith('webview/') ? 'webview' : 'pkg');
    const from = layer(rel);
    const to = spec.startsWith('.') ? layer(target) : 'pkg';
    const bad = (why) => problems.push(`${rel}: imports '${spec}' — ${why}`);
    if (spec === 'vscode' && from !== 'extension') bad('only src/extension may import vscode');
    if (spec === 'onnxruntime-node' && !/^src\/engine\/runtime[^/]*\.ts$/.test(rel)) bad('only src/engine/runtime*.ts may import onnxruntime-node');
    if (from === 'protocol' && to !== 'protocol' && spec.startsWith('.')) bad('src/protocol imports nothing outside itself');
    if (from === 'protocol' && !spec.startsWith('.')) bad('src/protocol imports no packages');
    if (from === 'engine' && ['analysis', 'cli', 'extension', 'worker'].includes(to)) bad('the engine does not depend on layers above it');
    if (from === 'analysis' && ['cli', 'extension', 'worker'].includes(to)) bad('analysis does not depend on layers above it');
    if (from === 'webview' && spec.startsWith('.') && !['webview', 'protocol'].includes(to)) bad('webviews import only src/protocol');
    if (from === 'webview' && !spec.startsWith('.') && !spec.startsWith('d3')) bad('webviews import only d3 among packages');
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`dependency rule: ${problems.length} violation(s)`);
  process.exit(1);
}
console.error(`dependency rule: ${files.length} files checked, no violations`);
