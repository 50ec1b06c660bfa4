/**
 * Where a model named by the user comes from, in the order a user meets them:
 * nothing → the bundled demo; a bundled name; an existing folder; the user's own
 * Hugging Face cache; then the Hub (downloaded once into our cache).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../errors';
import { bundledModelDir, DEFAULT_MODEL } from '../paths';
import { downloadFromHub } from './hub';
import type { DownloadProgress } from './hub';
import { CHECKPOINT_WEIGHT_FILES } from './open';

export interface ResolvedCheckpoint {
  dir: string;
  /** The name as resolved (Hub id after aliasing, bundled name, or folder path). */
  id: string;
  source: 'bundled' | 'local' | 'hf-cache' | 'hub';
  revision?: string;
}

export interface ResolveOptions {
  hubBaseUrl?: string;
  /** Where Hub downloads go (default ~/.cache/circuit-explorer/hub). */
  cacheDir?: string;
  revision?: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Override the HF cache root (default $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub). */
  hfCacheDir?: string;
}

/** TransformerLens's short names for the models we support. */
const ALIASES: Record<string, string> = {
  'gpt2-small': 'gpt2',
  'gpt2-medium': 'gpt2-medium',
  'gpt2-large': 'gpt2-large',
  'gpt2-xl': 'gpt2-xl',
  distilgpt2: 'distilgpt2',
  'neox-20b': 'EleutherAI/gpt-neox-20b',
  'gpt-neox-20b': 'EleutherAI/gpt-neox-20b',
};

/** Hub id for a TransformerLens alias ("gpt2-small" → "gpt2", "pythia-70m" → "EleutherAI/pythia-70m"). */
export function officialModelName(name: string): string {
  const lower = name.toLowerCase();
  if (ALIASES[lower]) return ALIASES[lower];
  if (/^pythia-[0-9.]+[mb](-deduped)?(-v0)?$/.test(lower)) return `EleutherAI/${lower}`;
  return name;
}

export function hfCacheRoot(override?: string): string {
  if (override) return override;
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE;
  if (process.env.HF_HOME) return join(process.env.HF_HOME, 'hub');
  return join(homedir(), '.cache', 'huggingface', 'hub');
}

function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && CHECKPOINT_WEIGHT_FILES.some((f) => existsSync(join(dir, f)));
}

/** `models--ORG--NAME/snapshots/<commit>` of the user's HF cache, if it holds a checkpoint (safetensors or pytorch_model.bin). */
export function findInHfCache(repo: string, revision = 'main', root = hfCacheRoot()): { dir: string; revision: string } | undefined {
  const base = join(root, `models--${repo.replace(/\//g, '--')}`);
  if (!existsSync(base)) return undefined;
  const ref = join(base, 'refs', revision);
  const commit = existsSync(ref) ? readFileSync(ref, 'utf8').trim() : revision;
  const dir = join(base, 'snapshots', commit);
  return hasCheckpoint(dir) ? { dir, revision: commit } : undefined;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export async function resolveCheckpoint(spec: string | undefined, opts: ResolveOptions = {}): Promise<ResolvedCheckpoint> {
  const name = spec?.trim() || DEFAULT_MODEL;
  const bundled = bundledModelDir(name);
  if (bundled) return { dir: bundled, id: name, source: 'bundled' };
  // A path: absolute, relative, or anything that exists as a folder.
  const looksLikePath = name.startsWith('.') || name.startsWith('/') || name.startsWith('~') || /^[A-Za-z]:[\\/]/.test(name);
  const asPath = resolve(name.startsWith('~') ? join(homedir(), name.slice(1)) : name);
  if (isDir(asPath)) {
    if (!existsSync(join(asPath, 'config.json'))) throw new UserError(`folder ${asPath} is not a model checkpoint: it has no config.json`);
    return { dir: asPath, id: asPath, source: 'local' };
  }
  if (looksLikePath) throw new UserError(`model folder not found: ${asPath}`);

  const repo = officialModelName(name);
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(repo)) throw new UserError(`'${name}' is neither a folder nor a Hugging Face model id`);
  const cached = findInHfCache(repo, opts.revision ?? 'main', hfCacheRoot(opts.hfCacheDir));
  if (cached) return { dir: cached.dir, id: repo, source: 'hf-cache', revision: cached.revision };

  const cacheDir = opts.cacheDir ?? join(homedir(), '.cache', 'circuit-explorer', 'hub');
  const dir = await downloadFromHub(repo, { ...opts, cacheDir });
  return { dir, id: repo, source: 'hub', revision: opts.revision ?? 'main' };
}
