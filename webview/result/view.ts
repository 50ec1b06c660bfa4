/** What every result view receives and returns. */
import type { SavedRun } from '../../src/protocol/ops';
import type { Exportable } from '../shared/toolbar';

export interface ViewContext {
  /** The user chose a head: open its attention pattern (on prompt promptIndex of the run). */
  openHead(layer: number, head: number, promptIndex: number): void;
}

export type ViewRenderer = (root: HTMLElement, run: SavedRun, ctx: ViewContext) => Exportable;
