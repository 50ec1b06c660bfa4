/**
 * Download a checkpoint from the Hugging Face Hub (or a mirror: `HF_ENDPOINT`, or a
 * 127.0.0.1 server in tests) into `<cacheDir>/<org--name>/<revision>/`.
 * Each file: `.part` + HTTP Range resume, progress, AbortSignal, sha256 check against
 * the X-Linked-ETag / ETag header when it is a 64-hex sha256 (the Hub sends LFS files'
 * sha256 that way), atomic rename when complete.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UserError } from '../errors';
import { CHECKPOINT_WEIGHT_FILES } from './open';

export interface DownloadProgress {
  file: string;
  bytesDone: number;
  /** Undefined when the server does not say. */
  bytesTotal?: number;
}

export interface HubOptions {
  hubBaseUrl?: string;
  cacheDir: string;
  revision?: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}

export function hubBaseUrl(explicit?: string): string {
  return (explicit ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
}

/** `<cacheDir>/<org--name>/<revision>` */
export function hubCacheFolder(cacheDir: string, repo: string, revision: string): string {
  return join(cacheDir, repo.replace(/\//g, '--'), revision);
}

const CONFIG = 'config.json';
const OPTIONAL = ['tokenizer.json', 'vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json'];

class NotFound extends Error {}

function fileUrl(base: string, repo: string, revision: string, file: string): string {
  return `${base}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
}

function sha256Of(headers: Headers): string | undefined {
  for (const h of ['x-linked-etag', 'etag']) {
    const v = headers.get(h)?.replace(/^W\//, '').replace(/"/g, '');
    if (v && /^[0-9a-f]{64}$/i.test(v)) return v.toLowerCase();
  }
  return undefined;
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Fetch one file to `dest`, resuming a `.part` left by an earlier attempt. */
async function downloadFile(url: string, dest: string, file: string, opts: HubOptions): Promise<void> {
  if (existsSync(dest)) return;
  const part = `${dest}.part`;
  const have = existsSync(part) ? statSync(part).size : 0;
  let res: Response;
  try {
    res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, signal: opts.signal, redirect: 'follow' });
  } catch (e) {
    if (opts.signal?.aborted) throw new UserError(`download of ${file} cancelled`);
    throw new UserError(`cannot reach ${url}: ${(e as Error).message}`);
  }
  if (res.status === 404) {
    await res.body?.cancel();
    throw new NotFound(url);
  }
  if (res.status === 416 && have > 0) {
    // The .part is already complete (or the server disagrees): start over cleanly.
    await res.body?.cancel();
    rmSync(part, { force: true });
    return downloadFile(url, dest, file, opts);
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    throw new UserError(`download of ${url} failed: HTTP ${res.status}`);
  }
  const resumed = res.status === 206;
  const start = resumed ? have : 0;
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? start + length : undefined;
  const expected = sha256Of(res.headers);
  const fh = await open(part, resumed ? 'a' : 'w');
  let done = start;
  try {
    if (res.body) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        await fh.write(chunk);
        done += chunk.length;
        opts.onProgress?.({ file, bytesDone: done, bytesTotal: total });
      }
    }
  } catch (e) {
    // Keep the .part: the next attempt resumes from it.
    if (opts.signal?.aborted) throw new UserError(`download of ${file} cancelled`);
    throw new UserError(`download of ${url} interrupted after ${done} bytes (run again to resume): ${(e as Error).message}`);
  } finally {
    await fh.close();
  }
  if (total !== undefined && done !== total) {
    throw new UserError(`download of ${url} interrupted after ${done} of ${total} bytes (run again to resume)`);
  }
  if (expected) {
    const got = await hashFile(part);
    if (got !== expected) {
      rmSync(part, { force: true });
      throw new UserError(`sha256 mismatch for ${file} from ${url}: expected ${expected}, got ${got}; the partial file was deleted`);
    }
  }
  renameSync(part, dest);
}

async function tryDownload(base: string, repo: string, revision: string, file: string, folder: string, opts: HubOptions): Promise<boolean> {
  try {
    await downloadFile(fileUrl(base, repo, revision, file), join(folder, file), file, opts);
    return true;
  } catch (e) {
    if (e instanceof NotFound) return false;
    throw e;
  }
}

/**
 * The first weight format the repo has, in CHECKPOINT_WEIGHT_FILES order: safetensors
 * before pytorch_model.bin (both load; safetensors needs no pickle at all), a single file
 * before a sharded index (whose shards follow).
 */
async function downloadWeights(base: string, repo: string, revision: string, folder: string, opts: HubOptions): Promise<void> {
  for (const file of CHECKPOINT_WEIGHT_FILES) {
    if (!(await tryDownload(base, repo, revision, file, folder, opts))) continue;
    if (!file.endsWith('.index.json')) return;
    let map: Record<string, string>;
    try {
      map = (JSON.parse(readFileSync(join(folder, file), 'utf8')) as { weight_map?: Record<string, string> }).weight_map ?? {};
    } catch (e) {
      throw new UserError(`corrupt checkpoint index ${file} of model '${repo}' at ${base}: ${(e as Error).message.split('\n')[0]}`);
    }
    for (const shard of new Set(Object.values(map))) {
      if (typeof shard !== 'string' || shard !== basename(shard)) throw new UserError(`corrupt checkpoint index ${file} of model '${repo}' at ${base}: shard '${String(shard)}' is not a plain file name`);
      if (!(await tryDownload(base, repo, revision, shard, folder, opts))) throw new UserError(`model '${repo}' at ${base}: shard ${shard} not found`);
    }
    return;
  }
  throw new UserError(`model '${repo}' at ${base} has no weights: none of ${CHECKPOINT_WEIGHT_FILES.join(', ')}`);
}

/** Download config, tokenizer and weights of `repo` at `revision`; returns the local folder. */
export async function downloadFromHub(repo: string, opts: HubOptions): Promise<string> {
  const base = hubBaseUrl(opts.hubBaseUrl);
  const revision = opts.revision ?? 'main';
  const folder = hubCacheFolder(opts.cacheDir, repo, revision);
  // Written last: a folder with it is complete and is used without touching the network.
  const marker = join(folder, '.complete');
  if (existsSync(marker)) return folder;
  mkdirSync(folder, { recursive: true });
  if (!(await tryDownload(base, repo, revision, CONFIG, folder, opts))) {
    throw new UserError(`model '${repo}' not found at ${base} (no ${CONFIG} at revision ${revision})`);
  }
  for (const f of OPTIONAL) await tryDownload(base, repo, revision, f, folder, opts);
  if (!existsSync(join(folder, 'tokenizer.json')) && !existsSync(join(folder, 'vocab.json'))) {
    throw new UserError(`model '${repo}' at ${base} has no tokenizer.json or vocab.json`);
  }
  await downloadWeights(base, repo, revision, folder, opts);
  writeFileSync(marker, new Date().toISOString());
  return folder;
}
