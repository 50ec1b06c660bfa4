/** config.json → ModelConfig, dispatched on `model_type` to the architecture's parser. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import type { Architecture, RawConfig } from '../arch/architecture';
import { findArchitecture, supportedModelTypes } from '../arch/registry';
import type { ModelConfig } from '../weights';

export function readRawConfig(dir: string): { raw: RawConfig; path: string } {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new UserError(`no config.json in ${dir}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path} is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`${path} is not a JSON object`);
  return { raw: raw as RawConfig, path };
}

export function architectureOf(raw: RawConfig, path: string): Architecture {
  const type = raw.model_type;
  if (typeof type !== 'string') throw new UserError(`missing model_type in ${path}: supported are ${supportedModelTypes().join(', ')}`);
  const arch = findArchitecture(type);
  if (!arch) throw new UserError(`unknown architecture '${type}' in ${path}: supported are ${supportedModelTypes().join(', ')}`);
  return arch;
}

/** The checkpoint folder's ModelConfig and the architecture that reads its tensors. */
export function readModelConfig(dir: string): { cfg: ModelConfig; arch: Architecture } {
  const { raw, path } = readRawConfig(dir);
  const arch = architectureOf(raw, path);
  const cfg = arch.parseConfig(raw, path);
  if (!Number.isInteger(cfg.dHead)) throw new UserError(`bad config ${path}: d_model ${cfg.dModel} is not divisible by ${cfg.nHeads} heads`);
  return { cfg, arch };
}
