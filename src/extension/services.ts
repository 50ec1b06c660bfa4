/** What every command, view and provider of the extension shares; built once in activate(). */
import type * as vscode from 'vscode';
import type { EngineSession } from './engineSession';
import type { PanelHost } from './panelHost';
import type { RunsRepo } from './runs';

export interface Services {
  context: vscode.ExtensionContext;
  session: EngineSession;
  runs: RunsRepo;
  output: vscode.OutputChannel;
  host: PanelHost;
  /** Shows a run file in the Runs view (set once the view exists). */
  revealInRuns(file: string): Promise<void>;
}

/** One command: its id (without the `circuitExplorer.` prefix in the file name) and handler. */
export interface CommandModule {
  id: string;
  /** `args` lets tests and other commands skip every prompt; tree nodes arrive here too. */
  run(s: Services, args?: unknown): Promise<unknown>;
}
