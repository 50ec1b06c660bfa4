/**
 * The words of the patching panel: the description line above the heatmaps and the export
 * name. DOM-free, so the unit tests read them without a browser. Which method made a
 * patch result is in `result.method`; runs saved before attribution patching existed have
 * none and were activation patching.
 */
import type { SavedRun } from '../../src/protocol/ops';
import type { PatchResult, PathPatchResult } from '../../src/protocol/results';
import { fileSafe, formatValue } from '../shared/format';

const ATTRIBUTION = 'Attribution patching (gradient estimate: one backward pass, first order in the patched activation)';

/** Made by attribution patching (the host's `runTitle` says `attrib` for these too). */
export function isAttribution(run: SavedRun): boolean {
  return run.command === 'patch' && (run.result as PatchResult).method === 'attribution';
}

/** The description line of a patching, path patching or head-detector run. */
export function patchSummary(run: SavedRun): string {
  if (run.command === 'heads') return 'Head detector scores (TransformerLens detect_head).';
  const r = run.result as PatchResult | PathPatchResult;
  let what: string;
  if (run.command === 'path-patch') {
    what = `Path patching into ${(r as PathPatchResult).receivers.join(', ') || 'the residual stream'} (${(r as PathPatchResult).receiverInput})`;
  } else {
    const p = r as PatchResult;
    what = `${isAttribution(run) ? ATTRIBUTION : 'Activation patching'}, ${p.kind}, ${p.noising ? 'noising' : 'denoising'}`;
  }
  return `${what}. Mean logit difference: clean ${formatValue(r.clean)}, corrupted ${formatValue(r.corrupted)}. ` +
    'Values are the normalised metric: 1 = clean behaviour, 0 = corrupted. Blue positive, red negative.';
}

/** The export's file name (without extension): the kind, prefixed `attrib-` for attribution patching. */
export function patchExportName(run: SavedRun): string {
  if (run.command === 'heads') return 'heads';
  const r = run.result as PatchResult | PathPatchResult;
  if (!('kind' in r)) return 'path-patch';
  return fileSafe(isAttribution(run) ? `attrib-${r.kind}` : r.kind);
}
