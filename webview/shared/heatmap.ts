/**
 * Draws one heatmap spec as SVG with d3: rows = layers, columns = positions or heads,
 * diverging colours centred at 0, a legend, a tooltip, and keyboard navigation (arrows
 * move between cells, Enter opens a head's attention pattern). Each cell is a rect with
 * data-layer, data-pos/data-head, data-value (full precision) and an aria-label.
 * Optional spec fields add a row that is not a layer, columns that are not heads, named
 * and tagged cells, and empty (NaN) cells: the score-attribution map's "misc" row and
 * "MLP" column.
 */
import { select } from 'd3-selection';
import { divergingColour, textColourOn } from './colour';
import { centreOf, hideTooltip, showTooltip } from './dom';
import { formatValue } from './format';
import type { HeatmapSpec } from './grid';

export interface HeatmapOptions {
  /** Called with (layer, head) when a head cell is clicked or Enter is pressed on it. */
  onHead?: (layer: number, head: number) => void;
  legendTitle?: string;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
let gradientCount = 0;

export function cellLabel(spec: HeatmapSpec, row: number, col: number): string {
  const v = spec.values[row * spec.colLabels.length + col];
  const name = spec.cellNames?.[row * spec.colLabels.length + col];
  if (name) return `${spec.title}: ${name}: ${formatValue(v)}`;
  const head = spec.head !== undefined ? `, head ${spec.head}` : '';
  return `${spec.title}: layer ${spec.rowLabels[row]}, ${spec.colAxis} ${spec.colLabels[col]}${head}: ${formatValue(v)}`;
}

export function renderHeatmap(parent: HTMLElement, spec: HeatmapSpec, opts: HeatmapOptions = {}): SVGSVGElement {
  const R = spec.rowLabels.length;
  const C = spec.colLabels.length;
  const cellW = Math.max(22, Math.min(44, 640 / Math.max(C, 1)));
  const cellH = spec.colAxis === 'head' ? Math.max(22, Math.min(36, cellW)) : 26;
  const longest = Math.max(...spec.colLabels.map((l) => l.length), 1);
  const rotate = spec.colAxis === 'pos' || longest * 7 > cellW;
  // Rotated (-55°) labels reach down ~0.82 and left ~0.57 of their length (~6 px a character).
  const left = rotate ? Math.max(64, Math.min(140, longest * 3.5 - cellW / 2 + 12)) : 64;
  const top = 30;
  const bottom = rotate ? Math.min(130, longest * 5 + 30) : 36;
  const noteH = spec.note ? 18 : 0;
  const legendW = 70;
  // A note is one line of ~6.2 px characters: widen the figure rather than clip it.
  const width = Math.max(left + C * cellW + 16 + legendW, spec.note ? 8 + spec.note.length * 6.2 : 0);
  const height = top + R * cellH + bottom + noteH;
  const headAxis = spec.colAxis === 'head' || spec.head !== undefined;
  const headOf = (col: number) => (spec.head !== undefined ? spec.head : col);
  const layerOf = (row: number): number | null => (spec.rowLayers ? spec.rowLayers[row] : row);
  const isHead = (row: number, col: number) => headAxis && col < (spec.headCols ?? C) && layerOf(row) !== null;
  const empty = (v: number) => Number.isNaN(v);
  const clickableAt = (d: { v: number; r: number; c: number }) => !!opts.onHead && isHead(d.r, d.c) && !empty(d.v);

  const svg = select(parent)
    .append('svg')
    .attr('xmlns', SVG_NS)
    .attr('class', 'figure heatmap')
    .attr('width', width)
    .attr('height', height)
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('role', 'group')
    .attr('aria-label', `${spec.title}: layer by ${spec.colAxis}, ${R} by ${C}`);

  svg.append('text').attr('class', 'title').attr('x', left).attr('y', 18).text(spec.title);

  const grid = svg.append('g').attr('transform', `translate(${left},${top})`);
  const cells = grid
    .selectAll('rect.cell')
    .data(spec.values.map((v, k) => ({ v, r: Math.floor(k / C), c: k % C })))
    .join('rect')
    .attr('class', (d) => (empty(d.v) ? 'cell empty' : clickableAt(d) ? 'cell clickable' : 'cell'))
    .attr('x', (d) => d.c * cellW)
    .attr('y', (d) => d.r * cellH)
    .attr('width', cellW - 1)
    .attr('height', cellH - 1)
    .attr('fill', (d) => (empty(d.v) ? 'none' : divergingColour(d.v, spec.colourMax)))
    .attr('data-layer', (d) => layerOf(d.r))
    .attr('data-value', (d) => (empty(d.v) ? null : String(d.v)))
    .attr('aria-label', (d) => (empty(d.v) ? 'empty' : cellLabel(spec, d.r, d.c)))
    .attr('role', (d) => (clickableAt(d) ? 'button' : 'img'))
    .attr('tabindex', (d) => (d.r === 0 && d.c === 0 ? 0 : -1));
  if (spec.colAxis === 'pos') cells.attr('data-pos', (d) => d.c);
  if (headAxis) cells.attr('data-head', (d) => (isHead(d.r, d.c) ? headOf(d.c) : null));
  if (spec.cellTags) {
    cells.attr('data-tag', (d) => spec.cellTags![d.r * C + d.c] || null);
    // Tags sit on their cell in black or white, whichever reads on its colour; the rect keeps the pointer.
    grid
      .selectAll('text.cell-tag')
      .data(spec.values.map((v, k) => ({ v, tag: spec.cellTags![k], r: Math.floor(k / C), c: k % C })).filter((d) => d.tag && !empty(d.v)))
      .join('text')
      .attr('class', 'cell-tag')
      .attr('x', (d) => d.c * cellW + (cellW - 1) / 2)
      .attr('y', (d) => d.r * cellH + (cellH - 1) / 2)
      .attr('dy', '0.35em')
      .attr('text-anchor', 'middle')
      .attr('pointer-events', 'none')
      .attr('aria-hidden', 'true')
      .style('fill', (d) => textColourOn(divergingColour(d.v, spec.colourMax)))
      .text((d) => d.tag);
  }

  const tipAt = (d: { v: number; r: number; c: number }, x: number, y: number) => {
    if (empty(d.v)) return hideTooltip();
    const extra = clickableAt(d) ? ['Click or Enter: attention pattern'] : [];
    const name = spec.cellNames?.[d.r * C + d.c];
    const where = name ? [name] : [`layer ${spec.rowLabels[d.r]}`, `${spec.colAxis} ${spec.colLabels[d.c]}`];
    showTooltip([formatValue(d.v), ...where, ...extra], x, y);
  };
  cells
    .on('mousemove', (ev: MouseEvent, d) => tipAt(d, ev.pageX, ev.pageY))
    .on('mouseleave blur', () => hideTooltip())
    .on('focus', function (_ev, d) {
      const p = centreOf(this as Element);
      tipAt(d, p.x, p.y);
    })
    .on('click', (_ev, d) => clickableAt(d) && opts.onHead!(layerOf(d.r)!, headOf(d.c)))
    .on('keydown', function (ev: KeyboardEvent, d) {
      const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (ev.key in moves) {
        const [dr, dc] = moves[ev.key];
        const r = Math.min(R - 1, Math.max(0, d.r + dr));
        const c = Math.min(C - 1, Math.max(0, d.c + dc));
        const next = cells.nodes()[r * C + c] as SVGRectElement;
        (this as SVGRectElement).setAttribute('tabindex', '-1');
        next.setAttribute('tabindex', '0');
        next.focus();
        ev.preventDefault();
      } else if ((ev.key === 'Enter' || ev.key === ' ') && clickableAt(d)) {
        opts.onHead!(layerOf(d.r)!, headOf(d.c));
        ev.preventDefault();
      }
    });

  // Row labels (layers) and column labels (positions / heads).
  grid
    .selectAll('text.row')
    .data(spec.rowLabels)
    .join('text')
    .attr('class', 'tick row')
    .attr('x', -6)
    .attr('y', (_d, i) => i * cellH + cellH / 2)
    .attr('dy', '0.35em')
    .attr('text-anchor', 'end')
    .text((d) => d);
  svg.append('text').attr('class', 'axis-title').attr('transform', `translate(14,${top + (R * cellH) / 2}) rotate(-90)`).attr('text-anchor', 'middle').text(spec.rowTitle ?? 'layer');
  const cols = grid
    .selectAll('text.col')
    .data(spec.colLabels)
    .join('text')
    .attr('class', 'tick col')
    .text((d) => d);
  if (rotate) {
    cols.attr('text-anchor', 'end').attr('transform', (_d, j) => `translate(${j * cellW + cellW / 2 + 4},${R * cellH + 8}) rotate(-55)`);
  } else {
    cols.attr('text-anchor', 'middle').attr('x', (_d, j) => j * cellW + cellW / 2).attr('y', R * cellH + 14);
  }
  svg.append('text').attr('class', 'axis-title').attr('x', left + (C * cellW) / 2).attr('y', height - 4 - noteH).attr('text-anchor', 'middle').text(spec.colTitle ?? (spec.colAxis === 'head' ? 'head' : 'position'));
  if (spec.note) {
    const note = svg.append('text').attr('class', 'note').attr('x', 8).attr('y', height - 4).text(spec.note).node()!;
    // The estimate above misses wide fonts; once in the document the text can be measured.
    const need = Math.ceil(16 + (note.isConnected ? note.getComputedTextLength() : 0));
    if (need > width) svg.attr('width', need).attr('viewBox', `0 0 ${need} ${height}`);
  }

  drawLegend(svg.node()!, left + C * cellW + 16, top, Math.max(60, R * cellH), spec.colourMax, opts.legendTitle);
  return svg.node()!;
}

/** Vertical colour bar with ticks −m, 0, +m. Gradient stops are attributes, so CSP-safe. */
export function drawLegend(svgNode: SVGSVGElement, x: number, y: number, h: number, m: number, title?: string): void {
  const svg = select(svgNode);
  const id = `legend-grad-${++gradientCount}`;
  const grad = svg.append('defs').append('linearGradient').attr('id', id).attr('x1', 0).attr('x2', 0).attr('y1', 1).attr('y2', 0);
  for (let i = 0; i <= 10; i++) {
    grad.append('stop').attr('offset', `${i * 10}%`).attr('stop-color', divergingColour(-m + (2 * m * i) / 10, m));
  }
  const g = svg.append('g').attr('class', 'legend').attr('transform', `translate(${x},${y})`).attr('aria-hidden', 'true');
  g.append('rect').attr('class', 'legend-bar').attr('width', 12).attr('height', h).attr('fill', `url(#${id})`);
  [m, 0, -m].forEach((v, i) =>
    g.append('text').attr('class', 'tick').attr('x', 16).attr('y', (i * h) / 2).attr('dy', '0.35em').text(formatValue(v)),
  );
  if (title) g.append('text').attr('class', 'tick').attr('x', 0).attr('y', -8).text(title);
}
