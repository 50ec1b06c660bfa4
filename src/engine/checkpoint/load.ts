/** A checkpoint folder → TransformerLens canonical weights, processed as asked. */
import { processWeights } from '../processing';
import type { CanonicalWeights, ProcessingOptions } from '../weights';
import { readModelConfig } from './config';
import { openCheckpointTensors } from './open';

export async function loadCanonicalWeights(dir: string, processing: ProcessingOptions): Promise<CanonicalWeights> {
  const { cfg, arch } = readModelConfig(dir);
  const src = await openCheckpointTensors(dir);
  let raw: CanonicalWeights;
  try {
    raw = await arch.mapWeights(src, cfg);
  } finally {
    await src.close();
  }
  const anything = processing.foldLn || processing.centerWritingWeights || processing.centerUnembed || processing.foldValueBiases;
  // `raw` is ours alone (every mapped tensor has its own array), so it is processed in place.
  return anything ? processWeights(raw, processing, { inPlace: true }) : raw;
}

