/**
 * Saved runs (CONTRACTS §3): `<dir>/<timestamp>-<kind>.json`, written atomically (temp
 * file + rename, so a crash or a cancel never leaves half a run), listed newest first; a
 * corrupt file in the folder is reported and skipped. No vscode import: the directory is
 * chosen by the caller.
 */
import { mkdir, readdir, readFile, rename, stat, writeFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SavedRun } from '../protocol/ops';
import type { PatchResult } from '../protocol/results';

/** `20261123T150831123Z`: sorts by time as a string and is valid in every file system. */
export function runTimestamp(d = new Date()): string {
  return d.toISOString().replace(/[-:.]/g, '');
}

/** A patching run made by attribution patching (its result says so; old runs say nothing and were activation patching). */
export function isAttributionRun(run: SavedRun): boolean {
  return run.command === 'patch' && (run.result as PatchResult).method === 'attribution';
}

/** `patch-<kind>` (activation patching), `attrib-<kind>` (attribution patching) or the command. */
export function runKindName(run: SavedRun): string {
  if (run.spec.op !== 'patch') return run.command;
  return `${isAttributionRun(run) ? 'attrib' : 'patch'}-${run.spec.kind}`;
}

export function runFileName(run: SavedRun, d = new Date()): string {
  return `${runTimestamp(d)}-${runKindName(run)}.json`;
}

/** Test seam: runs between writing the temp file and renaming it (where a crash would hit). */
export interface SaveRunHooks { beforeRename?(tmp: string): void | Promise<void> }

export async function saveRun(dir: string, run: SavedRun, d = new Date(), hooks: SaveRunHooks = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  let name = runFileName(run, d);
  const existing = new Set(await readdir(dir));
  for (let n = 2; existing.has(name); n++) name = runFileName(run, d).replace(/\.json$/, `-${n}.json`);
  const file = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, JSON.stringify(run, null, 1) + '\n', 'utf8');
    await hooks.beforeRename?.(tmp);
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
    .map((n) => ({ n, key: orderKey(n) }))
    .sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0))
    .map(({ n }) => join(dir, n));
}

/**
 * Sorts by time, then by the `-2`, `-3` … that saveRun adds when two runs share a
 * millisecond (a plain name sort would put `…-kind.json` after `…-kind-2.json`).
 */
function orderKey(name: string): string {
  const m = /^(\d{8}T\d{6,}Z)-(.*?)(?:-(\d+))?\.json$/.exec(name);
  if (!m) return `0 ${name}`; // files not written by saveRun come last
  return `1 ${m[1]} ${(m[3] ?? '1').padStart(6, '0')} ${m[2]}`;
}

export async function readRun(file: string): Promise<SavedRun> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read run ${file}: ${(err as Error).message}`);
  }
  return checkRun(parsed, file);
}

function checkRun(parsed: unknown, file: string): SavedRun {
  const r = parsed as Partial<SavedRun>;
  if (typeof r !== 'object' || r === null || r.version !== 1 || typeof r.command !== 'string' || r.result === undefined) {
    throw new Error(`${file} is not a saved Circuit Explorer run (expected {version: 1, command, result, …})`);
  }
  return r as SavedRun;
}

/** A run file that cannot be read, with the one-line reason. */
export interface BadRun { file: string; reason: string }

/** What scanRuns learnt about a file, keyed by its path; reused while size and mtime stay the same. */
export type RunCheckCache = Map<string, { stamp: string; reason?: string }>;

/**
 * The readable runs, newest first, and the files that are not runs (corrupt, truncated by
 * something other than us, hand-edited). Each file is parsed once per version: `cache`
 * remembers the verdict by size and mtime.
 */
export async function scanRuns(dir: string, cache: RunCheckCache = new Map()): Promise<{ files: string[]; bad: BadRun[] }> {
  const files: string[] = [];
  const bad: BadRun[] = [];
  for (const file of await listRuns(dir)) {
    let stamp: string;
    try {
      const st = await stat(file);
      stamp = `${st.size}:${st.mtimeMs}`;
    } catch {
      continue; // deleted while listing
    }
    let verdict = cache.get(file);
    if (verdict?.stamp !== stamp) {
      try {
        await readRun(file);
        verdict = { stamp };
      } catch (err) {
        verdict = { stamp, reason: (err as Error).message.split('\n')[0] };
      }
      cache.set(file, verdict);
    }
    if (verdict.reason === undefined) files.push(file);
    else bad.push({ file, reason: verdict.reason });
  }
  return { files, bad };
}
