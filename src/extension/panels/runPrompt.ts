/**
 * Which prompt a click on a head refers to, for each kind of saved run. Pure, so it can
 * be tested without VS Code.
 */
import type { SavedRun } from '../../protocol/ops';
import { isAttributionRun } from '../runStore';

/** The prompt text to show attention on, or undefined when the run has none (head detectors). */
export function promptForRun(run: SavedRun, promptIndex: number): string | undefined {
  const spec = run.spec as { prompt?: string; text?: string; spec?: { prompts?: { clean?: string }[] } };
  if (spec.spec?.prompts) return spec.spec.prompts[promptIndex]?.clean ?? spec.spec.prompts[0]?.clean;
  return spec.prompt ?? spec.text;
}

/** The panel title of a run; attribution patching runs say `attrib` where activation patching says `patch`. */
export function runTitle(run: SavedRun): string {
  const kind = (run.result as { kind?: string }).kind;
  const what = isAttributionRun(run) ? 'attrib' : run.command;
  return `${what}${kind ? ` ${kind}` : ''} · ${run.model.id}`;
}
