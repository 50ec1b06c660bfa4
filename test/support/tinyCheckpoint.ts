/**
 * The test-facing name for the synthetic checkpoint generator, which lives in
 * src/engine/checkpoint/synthetic.ts because the bench (in src/) needs it too and src/
 * must not import test/.
 */
import { makeSyntheticCheckpoint } from '../../src/engine/checkpoint/synthetic';
import type { SyntheticCheckpointOptions } from '../../src/engine/checkpoint/synthetic';

export type TinyCheckpointOptions = SyntheticCheckpointOptions;

/** Writes a seeded random checkpoint (2 layers, d_model 32 unless told) into `dir`; returns `dir`. */
export function makeTinyCheckpoint(dir: string, options: TinyCheckpointOptions): string {
  return makeSyntheticCheckpoint(dir, options);
}
