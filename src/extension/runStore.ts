/**
 * Saved runs (CONTRACTS §3): `<dir>/<timestamp>-<kind>.json`, written atomically (temp
 * file + rename, so a crash or a cancel never leaves half a run), listed newest first.
 * No vscode import: the directory is chosen by the caller.
 */
import { mkdir, readdir, readFile, rename, writeFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SavedRun } from '../protocol/ops';

/** `20261123T150831123Z`: sorts by time as a string and is valid in every file system. */
export function runTimestamp(d = new Date()): string {
  return d.toISOString().replace(/[-:.]/g, '');
}

export function runFileName(run: SavedRun, d = new Date()): string {
  const kind = run.spec.op === 'patch' ? `patch-${run.spec.kind}` : run.command;
  return `${runTimestamp(d)}-${kind}.json`;
}

export async function saveRun(dir: string, run: SavedRun, d = new Date()): Promise<string> {
  await mkdir(dir, { recursive: true });
  let name = runFileName(run, d);
  const existing = new Set(await readdir(dir));
  for (let n = 2; existing.has(name); n++) name = runFileName(run, d).replace(/\.json$/, `-${n}.json`);
  const file = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, JSON.stringify(run, null, 1) + '\n', 'utf8');
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return file;
}

/** Run files, newest first (temp files excluded). */
export async function listRuns(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    .sort()
    .reverse()
    .map((n) => join(dir, n));
}

export async function readRun(file: string): Promise<SavedRun> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read run ${file}: ${(err as Error).message}`);
  }
  const r = parsed as Partial<SavedRun>;
  if (typeof r !== 'object' || r === null || r.version !== 1 || typeof r.command !== 'string' || r.result === undefined) {
    throw new Error(`${file} is not a saved Circuit Explorer run (expected {version: 1, command, result, …})`);
  }
  return r as SavedRun;
}
