/**
 * Direct logit attribution: one bar per component of decompose_resid (embed, pos_embed,
 * each layer's attn and mlp), the check that the pieces plus the unembedding bias add up
 * to the model's actual logit difference, and the per-head [L,H] map.
 */
import type { SavedRun } from '../../src/protocol/ops';
import type { DlaResult } from '../../src/protocol/results';
import { renderBars } from '../shared/bars';
import { toCsv } from '../shared/csv';
import { el } from '../shared/dom';
import { sumCheck } from './dlaCheck';
import { dlaHeadHeatmap, heatmapsCsv } from '../shared/grid';
import { renderHeatmap } from '../shared/heatmap';
import type { Exportable } from '../shared/toolbar';
import type { ViewContext } from './view';

export function renderDla(root: HTMLElement, run: SavedRun, ctx: ViewContext): Exportable {
  const r = run.result as DlaResult;
  const check = sumCheck(r);
  root.appendChild(el('p', { cls: 'summary', text: 'Direct logit attribution of the logit difference (answer − wrong), scaled by the cached ln_final scale.' }));
  root.appendChild(el('p', { cls: check.ok ? 'check ok' : 'check bad', text: check.text, attrs: { role: 'status' } }));
  const figs = el('div', { cls: 'facets' });
  root.appendChild(figs);
  const barBox = el('div', { cls: 'facet' });
  const mapBox = el('div', { cls: 'facet' });
  figs.append(barBox, mapBox);
  const bars = renderBars(barBox, { title: 'logit difference per component', labels: r.layers.labels, values: r.layers.values, signed: true, dataName: 'component', note: check.text });
  const head = dlaHeadHeatmap(r);
  const map = renderHeatmap(mapBox, head, { onHead: (l, h) => ctx.openHead(l, h, 0) });
  const csv = () =>
    toCsv(['component', 'value'], [...r.layers.labels.map((l, i) => [l, r.layers.values[i]]), ['bias (b_U)', r.biasTerm], ['total', r.total], ['actual', r.actual]]) +
    '\n' + heatmapsCsv([head]);
  return { name: 'dla', figures: () => [bars, map], csv, json: () => run };
}
