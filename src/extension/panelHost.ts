/**
 * What a webview panel may ask of the extension host (implemented in src/extension,
 * used by src/extension/panels/**). Keeps panels free of the engine client, the runs
 * store and the command wiring: a panel only knows this interface.
 */
import type { OpName, OpRequest, OpResult, SavedRun } from '../protocol/ops';
import type { AttentionResult } from '../protocol/results';

export interface PanelHost {
  /** Every head of `layer` on `prompt`, for a click on `head` in a heatmap (drawn large, its neighbours as thumbnails). */
  attention(req: { prompt: string; layer: number; head: number; prependBos?: boolean }): Promise<AttentionResult>;
  /** Runs any analysis on the loaded model (linked views: logit lens at a clicked position, …). */
  runOp<N extends OpName>(req: Extract<OpRequest, { op: N }>): Promise<OpResult<N>>;
  /** Shows a saved run file in the Runs view and opens its panel. */
  revealRun(file: string): Promise<void>;
  /** Reads a saved run (`.circuits/runs/*.json`) from disk. */
  readRun(file: string): Promise<SavedRun>;
  /** The loaded model's id, or undefined when none is loaded. */
  modelId(): string | undefined;
}
