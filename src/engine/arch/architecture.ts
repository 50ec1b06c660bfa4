/**
 * What one model family contributes: reading its Hugging Face config.json into a
 * ModelConfig, and mapping its checkpoint tensors onto TransformerLens's canonical
 * weights (unprocessed). Adding a family = one file exporting an `Architecture`, plus
 * its line in registry.ts.
 */
import { UserError } from '../errors';
import type { TensorSource } from '../checkpoint/safetensors';
import type { Tensor } from '../tensor';
import type { CanonicalWeights, ModelConfig } from '../weights';

export interface Architecture {
  /** Hugging Face `model_type` values this family handles. */
  readonly modelTypes: readonly string[];
  parseConfig(raw: RawConfig, configPath: string): ModelConfig;
  /** Canonical weights with `processing` = NO_PROCESSING. */
  mapWeights(src: TensorSource, cfg: ModelConfig): Promise<CanonicalWeights>;
}

export type RawConfig = Record<string, unknown>;

/** Typed reads of config.json fields with one-line errors naming the file and field. */
export class ConfigFields {
  constructor(
    private readonly raw: RawConfig,
    private readonly path: string,
  ) {}

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  /** First present key of `keys`, else `fallback`, else an error naming the first key. */
  int(keys: string | string[], fallback?: number): number {
    const v = this.number(keys, fallback);
    if (!Number.isInteger(v) || v <= 0) throw new UserError(`bad ${[keys].flat()[0]} ${v} in ${this.path}: expected a positive integer`);
    return v;
  }

  number(keys: string | string[], fallback?: number): number {
    for (const k of [keys].flat()) {
      if (!this.has(k)) continue;
      const v = this.raw[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`bad ${k} ${JSON.stringify(v)} in ${this.path}: expected a number`);
      return v;
    }
    if (fallback !== undefined) return fallback;
    throw new UserError(`missing ${[keys].flat().join(' / ')} in ${this.path}`);
  }

  bool(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const v = this.raw[key];
    if (typeof v !== 'boolean') throw new UserError(`bad ${key} ${JSON.stringify(v)} in ${this.path}: expected true or false`);
    return v;
  }

  /** The activation name mapped to ours, or an error listing what is supported. */
  act(key: string, fallback: string, table: Record<string, ModelConfig['act']>): ModelConfig['act'] {
    const v = this.has(key) ? this.raw[key] : fallback;
    const a = typeof v === 'string' ? table[v] : undefined;
    if (!a) throw new UserError(`unsupported ${key} ${JSON.stringify(v)} in ${this.path}: supported are ${Object.keys(table).join(', ')}`);
    return a;
  }
}

/** Checked reads of checkpoint tensors: missing names and wrong shapes name the file. */
export class TensorReader {
  constructor(readonly src: TensorSource) {}

  has(name: string): boolean {
    return this.src.has(name);
  }

  async get(name: string, shape: readonly number[]): Promise<Tensor> {
    if (!this.src.has(name)) throw new UserError(`missing tensor '${name}' in ${this.src.path}`);
    const t = await this.src.read(name);
    if (t.dims.length !== shape.length || t.dims.some((d, i) => d !== shape[i])) {
      throw new UserError(`tensor '${name}' in ${this.src.path} has shape [${t.dims.join(',')}], expected [${shape.join(',')}]`);
    }
    return t;
  }
}
