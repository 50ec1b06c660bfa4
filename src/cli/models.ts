/**
 * `models`: what can be loaded without a download — the bundled models and the user's
 * Hugging Face cache (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else ~/.cache/huggingface/hub).
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_MODELS, bundledModelDir } from '../engine/paths';

export interface ModelsResult {
  bundled: { id: string; path: string }[];
  cache: { id: string; path: string; revisions: string[] }[];
  cacheDir: string;
}

export function hfHubCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  const home = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return join(home, 'hub');
}

export function listModels(env: NodeJS.ProcessEnv): ModelsResult {
  const bundled = BUNDLED_MODELS.map((id) => ({ id, path: bundledModelDir(id) ?? '' })).filter((m) => m.path && existsSync(m.path));
  const cacheDir = hfHubCacheDir(env);
  const cache: ModelsResult['cache'] = [];
  if (existsSync(cacheDir)) {
    for (const name of readdirSync(cacheDir).sort()) {
      if (!name.startsWith('models--')) continue;
      const path = join(cacheDir, name);
      const snapshots = join(path, 'snapshots');
      const revisions = existsSync(snapshots) ? readdirSync(snapshots) : [];
      if (revisions.length === 0) continue;
      cache.push({ id: name.slice('models--'.length).split('--').join('/'), path, revisions });
    }
  }
  return { bundled, cache, cacheDir };
}
