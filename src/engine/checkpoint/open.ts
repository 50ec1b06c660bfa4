/**
 * Which weight files a checkpoint folder may hold and how each is opened: safetensors
 * (single or sharded) first, then the torch.save formats (read without running their
 * pickles; see torchZip.ts). Kept apart from the readers so neither imports the other.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { SafetensorsFile, ShardedCheckpoint, ShardedSafetensors, type TensorSource } from './safetensors';
import { TorchCheckpoint } from './torchZip';

/** The weight files a checkpoint folder may hold, in the order they are tried. */
export const CHECKPOINT_WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'] as const;

/**
 * Open a checkpoint folder's weights: model.safetensors, its sharded index, then the
 * torch.save formats (read without running their pickles; see torchZip.ts).
 */
export async function openCheckpointTensors(dir: string): Promise<TensorSource> {
  const [single, index, bin, binIndex] = CHECKPOINT_WEIGHT_FILES.map((f) => join(dir, f));
  if (existsSync(single)) return SafetensorsFile.open(single);
  if (existsSync(index)) return ShardedSafetensors.open(index);
  if (existsSync(bin)) return TorchCheckpoint.open(bin);
  if (existsSync(binIndex)) return ShardedCheckpoint.open(binIndex, TorchCheckpoint.open);
  throw new UserError(`no model weights in ${dir}: expected ${CHECKPOINT_WEIGHT_FILES.join(', ')}`);
}
