/**
 * Rotary position embeddings (GPT-NeoX rotate_half layout) on one head vector, in float64,
 * for analyses that need q or k as the attention score sees them: the first `rotaryDim`
 * dims rotate in pairs (i, i + rotaryDim/2) by the angle pos · base^(−2i/rotaryDim), the
 * rest pass through. Learned-position models return the vector unchanged.
 */
import type { ModelConfig } from '../engine/weights';

/** R(pos)·x (sign 1) or R(pos)ᵀ·x = R(−pos)·x (sign −1); a new array unless nothing rotates. */
export function rotate(x: Float64Array, pos: number, cfg: Pick<ModelConfig, 'positional' | 'rotaryDim' | 'rotaryBase'>, sign: 1 | -1): Float64Array {
  if (cfg.positional !== 'rotary') return x;
  const out = Float64Array.from(x);
  const half = cfg.rotaryDim / 2;
  for (let i = 0; i < half; i++) {
    const angle = pos * Math.pow(cfg.rotaryBase, (-2 * i) / cfg.rotaryDim);
    const c = Math.cos(angle);
    const s = sign * Math.sin(angle);
    const x1 = x[i];
    const x2 = x[i + half];
    out[i] = x1 * c - x2 * s;
    out[i + half] = x2 * c + x1 * s;
  }
  return out;
}
