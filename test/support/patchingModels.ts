/**
 * Tiny random models and prompt pairs for the patching tests: a seeded HF-format
 * checkpoint (test/support/tinyCheckpoint.ts) loaded with TransformerLens's default
 * weight processing into the ONNX engine, plus random clean/corrupted token pairs that
 * differ at a few positions.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCanonicalWeights } from '../../src/engine/checkpoint/load';
import { HookedModel } from '../../src/engine/hookedModel';
import { loadTokenizer } from '../../src/engine/tokenizer';
import type { Model } from '../../src/engine/types';
import { DEFAULT_PROCESSING } from '../../src/engine/weights';
import type { PatchingPromptSet } from '../../src/analysis/patching';
import { rng } from './randomWeights';
import { makeTinyCheckpoint } from './tinyCheckpoint';

export async function tinyModel(arch: 'gpt2' | 'gpt_neox', seed = 3): Promise<Model> {
  const dir = makeTinyCheckpoint(mkdtempSync(join(tmpdir(), `ce-patch-${arch}-`)), { arch, seed, nLayers: 3 });
  const weights = await loadCanonicalWeights(dir, DEFAULT_PROCESSING);
  const tokenizer = await loadTokenizer(dir, { bosTokenId: weights.cfg.bosTokenId });
  return HookedModel.create(weights, tokenizer, { id: `tiny-${arch}`, source: dir, device: 'cpu' });
}

/** P random prompt pairs of T tokens (BOS first) differing at `diff` random positions, last position answered. */
export function randomPairs(model: Model, P: number, T: number, seed = 7, diff = 2): PatchingPromptSet {
  const r = rng(seed);
  const V = 1000; // ids well inside every vocabulary
  const tok = () => 1 + Math.floor(r() * (V - 1));
  const cleanTokens: number[][] = [];
  const corruptedTokens: number[][] = [];
  for (let p = 0; p < P; p++) {
    const c = [model.cfg.bosTokenId, ...Array.from({ length: T - 1 }, tok)];
    const x = [...c];
    for (let k = 0; k < diff; k++) x[1 + Math.floor(r() * (T - 1))] = tok();
    cleanTokens.push(c);
    corruptedTokens.push(x);
  }
  return {
    cleanTokens,
    corruptedTokens,
    answerIds: Int32Array.from({ length: P }, tok),
    wrongIds: Int32Array.from({ length: P }, tok),
    answerPos: T - 1,
  };
}
