/** The common tail of every analysis command: run with progress, save the run, open its panel. */
import type { OpName, OpRequest, SavedRun } from '../protocol/ops';
import type { AttentionResult } from '../protocol/results';
import { openAttentionPanel, openRunPanel } from './panels/open';
import { runAndSave } from './runs';
import type { Services } from './services';

export interface CommandOutcome<N extends OpName = OpName> { file: string; run: SavedRun<N> }

export async function runAndShow<N extends OpName>(s: Services, req: Extract<OpRequest, { op: N }>, title: string): Promise<CommandOutcome<N>> {
  const out = await runAndSave<N>(s.session, s.runs, req, title);
  showRun(s, out.run as unknown as SavedRun, out.file);
  void s.revealInRuns(out.file);
  return out;
}

/** `file`: where the run is saved (a reloaded window reopens the panel from it). */
export function showRun(s: Services, run: SavedRun, file?: string): void {
  if (run.command === 'attention') {
    const spec = run.spec as Extract<OpRequest, { op: 'attention' }>;
    openAttentionPanel(s.context, run.result as AttentionResult, { prompt: spec.prompt });
  } else {
    openRunPanel(s.context, run, s.host, file);
  }
}
