/**
 * loadModel: a model name → a runnable HookedModel.
 *   resolve the checkpoint folder → canonical weights (processed as TransformerLens's
 *   from_pretrained does, unless told otherwise) → tokenizer → graphs and sessions.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { loadCanonicalWeights } from './checkpoint/load';
import { resolveCheckpoint } from './checkpoint/sources';
import { HookedModel } from './hookedModel';
import { bundledModelDir, DEFAULT_MODEL } from './paths';
import { loadTokenizer } from './tokenizer';
import type { Model } from './types';
import { DEFAULT_PROCESSING, type ProcessingOptions } from './weights';

export interface LoadModelOptions {
  /** A local folder, a bundled model name, or a Hugging Face hub id; default the bundled demo model. */
  model?: string;
  processing?: Partial<ProcessingOptions>;
  /** 'auto' (default), 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'. */
  device?: string;
  hubBaseUrl?: string;
  cacheDir?: string;
  /** Relative folders resolve against this (default process.cwd()). */
  cwd?: string;
  onProgress?: (message: string, fraction?: number) => void;
  signal?: AbortSignal;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const e = new Error('loading the model was cancelled');
    e.name = 'AbortError';
    throw e;
  }
}

/** A relative folder named by the user resolves against their cwd (the CLI's, the workspace's). */
function againstCwd(model: string, cwd: string | undefined): string {
  if (!cwd || bundledModelDir(model) || isAbsolute(model)) return model;
  const dir = resolve(cwd, model);
  return existsSync(dir) ? dir : model;
}

export async function loadModel(opts: LoadModelOptions = {}): Promise<Model> {
  const model = opts.model ?? DEFAULT_MODEL;
  const progress = opts.onProgress ?? (() => {});
  progress(`resolving ${model}`, 0);
  const ckpt = await resolveCheckpoint(againstCwd(model, opts.cwd), {
    hubBaseUrl: opts.hubBaseUrl,
    cacheDir: opts.cacheDir,
    signal: opts.signal,
    onProgress: (p) => progress(`downloading ${p.file}: ${(p.bytesDone / 1e6).toFixed(1)}${p.bytesTotal ? ` of ${(p.bytesTotal / 1e6).toFixed(1)}` : ''} MB`, p.bytesTotal ? 0.1 * (p.bytesDone / p.bytesTotal) : undefined),
  });
  const dir = ckpt.dir;
  checkAbort(opts.signal);
  const processing: ProcessingOptions = { ...DEFAULT_PROCESSING, ...opts.processing };
  progress(`reading weights from ${dir}`, 0.1);
  const weights = await loadCanonicalWeights(dir, processing);
  checkAbort(opts.signal);
  const tokenizer = await loadTokenizer(dir, { bosTokenId: weights.cfg.bosTokenId });
  checkAbort(opts.signal);
  return HookedModel.create(weights, tokenizer, {
    id: model,
    source: dir,
    revision: ckpt.revision,
    device: opts.device,
    signal: opts.signal,
    onProgress: (message, fraction) => progress(message, 0.3 + 0.7 * fraction),
  });
}
