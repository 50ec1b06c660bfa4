/**
 * Activation and attribution patching, path patching and head-detector results as heatmaps. The
 * by-position head kinds ([L,T,H]) get a head chooser: every head as a facet, or one.
 */
import type { SavedRun } from '../../src/protocol/ops';
import type { HeadsResult, PatchResult, PathPatchResult } from '../../src/protocol/results';
import { clear, el } from '../shared/dom';
import type { HeadChoice, HeatmapSpec } from '../shared/grid';
import { headsHeatmaps, heatmapsCsv, patchHeatmaps } from '../shared/grid';
import { renderHeatmap } from '../shared/heatmap';
import type { Exportable } from '../shared/toolbar';
import { patchExportName, patchSummary } from './patchText';
import type { ViewContext } from './view';

export function renderPatch(root: HTMLElement, run: SavedRun, ctx: ViewContext): Exportable {
  const isHeads = run.command === 'heads';
  const r = run.result as PatchResult | PathPatchResult | HeadsResult;
  const byPos = !isHeads && 'kind' in r && r.kind.endsWith('_by_pos') && r.dims.length === 3;
  const name = patchExportName(run);
  root.appendChild(el('p', { cls: 'summary', text: patchSummary(run) }));

  let choice: HeadChoice = 'each';
  if (byPos) {
    const H = (r as PatchResult).dims[2];
    const select = el('select', { attrs: { id: 'head-choice', 'aria-label': 'Head to show' } });
    select.appendChild(el('option', { text: 'every head', attrs: { value: 'each' } }));
    for (let h = 0; h < H; h++) select.appendChild(el('option', { text: `head ${h}`, attrs: { value: String(h) } }));
    select.addEventListener('change', () => {
      choice = select.value === 'each' ? 'each' : Number(select.value);
      draw();
    });
    root.appendChild(el('label', { cls: 'control', text: 'Show ' }, select));
  }
  const figs = el('div', { cls: 'facets' });
  root.appendChild(figs);
  let specs: HeatmapSpec[] = [];
  let svgs: SVGSVGElement[] = [];
  const draw = () => {
    clear(figs);
    specs = isHeads ? headsHeatmaps(r as HeadsResult) : patchHeatmaps(r as PatchResult | PathPatchResult, choice);
    svgs = specs.map((s) => {
      const box = el('div', { cls: 'facet' });
      figs.appendChild(box);
      return renderHeatmap(box, s, { onHead: (layer, head) => ctx.openHead(layer, head, 0) });
    });
  };
  draw();
  return { name, figures: () => svgs, csv: () => heatmapsCsv(specs), json: () => run };
}
