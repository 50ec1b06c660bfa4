import type { Model } from '../engine/types';
import type { LoadModelParams, ModelInfo } from '../protocol/rpc';

const MB = 1024 * 1024;

/** The sidebar/status-bar summary of a loaded model, with the engine process's memory. */
export function describeModel(model: Model, _params: LoadModelParams): ModelInfo {
  const { cfg } = model;
  const mem = process.memoryUsage();
  return {
    id: model.id,
    source: model.source,
    revision: model.revision,
    device: model.device,
    onnxruntime: model.runtime,
    cfg: { architecture: cfg.architecture, nLayers: cfg.nLayers, nHeads: cfg.nHeads, dModel: cfg.dModel, dHead: cfg.dHead, dVocab: cfg.dVocab, nCtx: cfg.nCtx },
    processing: { ...model.weights.processing },
    memory: { rssMB: Math.round(mem.rss / MB), heapUsedMB: Math.round(mem.heapUsed / MB) },
  };
}
