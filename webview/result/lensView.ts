/**
 * Logit lens: for each layer, the top tokens at the chosen position (probability drawn as
 * a bar behind the token) and the rank and probability of the tracked tokens. Drawn as
 * SVG so it exports like the heatmaps.
 */
import { select } from 'd3-selection';
import type { SavedRun } from '../../src/protocol/ops';
import type { LogitLensResult } from '../../src/protocol/results';
import { toCsv } from '../shared/csv';
import { el } from '../shared/dom';
import { formatProb, showToken } from '../shared/format';
import type { Exportable } from '../shared/toolbar';

const MODE_TEXT: Record<LogitLensResult['mode'], string> = {
  'own-scale': 'each layer\'s accumulated residual normalised with its own ln_final scale (the last row equals the real logits)',
  'final-scale': 'accumulated_resid(apply_ln=True): every layer scaled by the final layer\'s cached ln_final scale, as TransformerLens does',
};

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function lensCsv(r: LogitLensResult): string {
  const rows: (string | number)[][] = [];
  for (const layer of r.layers) {
    layer.top.forEach((t, k) => rows.push([layer.label, 'top', k + 1, t.token, t.prob]));
    for (const [tok, v] of Object.entries(layer.tracked)) rows.push([layer.label, 'tracked', v.rank, tok, v.prob]);
  }
  return toCsv(['layer', 'kind', 'rank', 'token', 'prob'], rows);
}

export function renderLens(root: HTMLElement, run: SavedRun): Exportable {
  const r = run.result as LogitLensResult;
  const pos = r.pos < 0 ? r.strTokens.length + r.pos : r.pos;
  const posTok = r.strTokens[pos] ?? '';
  root.appendChild(el('p', { cls: 'summary', text: `Logit lens at position ${pos} (${showToken(posTok)}), predicting the next token. Mode ${r.mode}: ${MODE_TEXT[r.mode]}.` }));
  const k = Math.max(0, ...r.layers.map((l) => l.top.length));
  const tracked = Object.keys(r.layers[0]?.tracked ?? {});
  const labelW = 90, colW = 112, trW = 128, rowH = 24, top = 48;
  const width = labelW + k * colW + tracked.length * trW + 8;
  const height = top + r.layers.length * rowH + 8;
  const box = el('div', { cls: 'facet wide' });
  root.appendChild(box);
  const svg = select(box).append('svg').attr('class', 'figure lens').attr('width', width).attr('height', height)
    .attr('viewBox', `0 0 ${width} ${height}`).attr('role', 'table').attr('aria-label', 'Logit lens: top tokens per layer');
  svg.append('text').attr('class', 'title').attr('x', 4).attr('y', 18).text(`top ${k} tokens per layer`);
  for (let j = 0; j < k; j++) svg.append('text').attr('class', 'tick').attr('x', labelW + j * colW + 4).attr('y', top - 8).text(`#${j + 1}`);
  tracked.forEach((t, j) => svg.append('text').attr('class', 'tick strong').attr('x', labelW + k * colW + j * trW + 4).attr('y', top - 8).text(`${clip(showToken(t), 12)}: rank, p`));
  r.layers.forEach((layer, i) => {
    const g = svg.append('g').attr('transform', `translate(0,${top + i * rowH})`).attr('role', 'row');
    g.append('text').attr('class', 'tick').attr('x', labelW - 8).attr('y', rowH / 2).attr('dy', '0.35em').attr('text-anchor', 'end').text(layer.label);
    layer.top.forEach((t, j) => {
      const x = labelW + j * colW;
      g.append('rect').attr('class', 'cell-bg').attr('x', x).attr('y', 2).attr('width', colW - 4).attr('height', rowH - 4);
      // Translucent theme blue so the token text on top reads in light and dark themes.
      g.append('rect').attr('class', 'cell lens-bar').attr('x', x).attr('y', 2).attr('width', Math.max(1, (colW - 4) * t.prob)).attr('height', rowH - 4).attr('data-layer', layer.label).attr('data-token', t.token).attr('data-value', String(t.prob))
        .attr('role', 'cell').attr('tabindex', -1).attr('aria-label', `${layer.label}, #${j + 1}: ${showToken(t.token)} ${formatProb(t.prob)}`);
      g.append('text').attr('class', 'tick').attr('x', x + 4).attr('y', rowH / 2).attr('dy', '0.35em').text(`${clip(showToken(t.token), 9)} ${formatProb(t.prob)}`);
    });
    tracked.forEach((tok, j) => {
      const v = layer.tracked[tok];
      const x = labelW + k * colW + j * trW;
      g.append('text').attr('class', 'tick').attr('x', x + 4).attr('y', rowH / 2).attr('dy', '0.35em')
        .attr('data-token', tok).attr('data-value', v ? String(v.prob) : '').text(v ? `${v.rank}, ${formatProb(v.prob)}` : '–');
    });
  });
  const first = svg.select<SVGRectElement>('rect.cell');
  first.attr('tabindex', 0);
  return { name: 'logit-lens', figures: () => [svg.node()!], csv: () => lensCsv(r), json: () => run };
}
