/**
 * Horizontal bar chart in SVG (DLA per component, top-k probabilities, loss deltas).
 * Signed values get the same blue/red as the heatmaps; bars are focusable with an
 * aria-label and a tooltip, like heatmap cells.
 */
import { select } from 'd3-selection';
import { divergingColour, maxAbs, sequentialColour } from './colour';
import { centreOf, hideTooltip, showTooltip } from './dom';
import { formatValue } from './format';

export interface BarSpec {
  title: string;
  labels: string[];
  values: number[];
  /** Signed: bars grow both ways from 0. Otherwise values are in [0, 1] (probabilities). */
  signed: boolean;
  format?: (v: number) => string;
  /** Name written as data-* on each bar, e.g. "component" → data-component. */
  dataName: string;
  /** A line under the bars (e.g. the DLA sum check), so it travels with the exported figure. */
  note?: string;
}

export function renderBars(parent: HTMLElement, spec: BarSpec): SVGSVGElement {
  const fmt = spec.format ?? formatValue;
  const n = spec.labels.length;
  const barH = 20;
  const labelW = Math.min(160, 12 + 7 * Math.max(4, ...spec.labels.map((l) => l.length)));
  const plotW = 360;
  const valueW = 70;
  const top = 30;
  const width = labelW + plotW + valueW;
  const height = top + n * barH + 10 + (spec.note ? 20 : 0);
  const m = spec.signed ? maxAbs(spec.values) : 1;
  const zeroX = labelW + (spec.signed ? plotW / 2 : 0);
  const scale = spec.signed ? plotW / 2 / m : plotW;
  const svg = select(parent)
    .append('svg')
    .attr('class', 'figure bars')
    .attr('width', width)
    .attr('height', height)
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('role', 'group')
    .attr('aria-label', spec.title);
  svg.append('text').attr('class', 'title').attr('x', 4).attr('y', 18).text(spec.title);
  const rows = svg
    .selectAll('g.bar')
    .data(spec.values.map((v, i) => ({ v, i })))
    .join('g')
    .attr('class', 'bar')
    .attr('transform', (d) => `translate(0,${top + d.i * barH})`);
  rows
    .append('text')
    .attr('class', 'tick')
    .attr('x', labelW - 6)
    .attr('y', barH / 2)
    .attr('dy', '0.35em')
    .attr('text-anchor', 'end')
    .text((d) => spec.labels[d.i]);
  const rects = rows
    .append('rect')
    .attr('class', 'cell')
    .attr('x', (d) => (Number.isFinite(d.v) ? Math.min(zeroX, zeroX + d.v * scale) : zeroX))
    .attr('y', 2)
    .attr('width', (d) => (Number.isFinite(d.v) ? Math.max(1, Math.abs(d.v * scale)) : 0))
    .attr('height', barH - 4)
    .attr('fill', (d) => (spec.signed ? divergingColour(Math.sign(d.v) * m * 0.8, m) : sequentialColour(0.75)))
    .attr(`data-${spec.dataName}`, (d) => spec.labels[d.i])
    .attr('data-value', (d) => String(d.v))
    .attr('aria-label', (d) => `${spec.labels[d.i]}: ${fmt(d.v)}`)
    .attr('role', 'img')
    .attr('tabindex', (d) => (d.i === 0 ? 0 : -1));
  rows
    .append('text')
    .attr('class', 'tick value')
    .attr('x', labelW + plotW + 6)
    .attr('y', barH / 2)
    .attr('dy', '0.35em')
    .text((d) => fmt(d.v));
  if (spec.signed) {
    svg.append('line').attr('class', 'zero').attr('x1', zeroX).attr('x2', zeroX).attr('y1', top - 4).attr('y2', top + n * barH + 4);
  }
  if (spec.note) svg.append('text').attr('class', 'tick note').attr('x', 4).attr('y', height - 8).text(spec.note);
  rects
    .on('mousemove', (ev: MouseEvent, d) => showTooltip([fmt(d.v), spec.labels[d.i]], ev.pageX, ev.pageY))
    .on('mouseleave blur', () => hideTooltip())
    .on('focus', function (_ev, d) {
      const p = centreOf(this as Element);
      showTooltip([fmt(d.v), spec.labels[d.i]], p.x, p.y);
    })
    .on('keydown', function (ev: KeyboardEvent, d) {
      const step = ev.key === 'ArrowDown' ? 1 : ev.key === 'ArrowUp' ? -1 : 0;
      if (!step) return;
      const next = rects.nodes()[Math.min(n - 1, Math.max(0, d.i + step))];
      (this as SVGRectElement).setAttribute('tabindex', '-1');
      next.setAttribute('tabindex', '0');
      next.focus();
      ev.preventDefault();
    });
  return svg.node()!;
}
