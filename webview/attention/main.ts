/**
 * Attention patterns in the manner of CircuitsVis attention_heads: a grid of head
 * thumbnails, the selected head large, and the tokens. Hovering (or focusing) a token
 * shows where it attends as a destination (blue) and what attends to it as a source
 * (orange); click or Enter locks the token, Escape unlocks.
 */
import { rgb } from 'd3-color';
import { select } from 'd3-selection';
import type { AttentionResult } from '../../src/protocol/results';
import { attentionPanelState, isAttentionShowMessage, isExportRequestMessage } from '../../src/protocol/webview';
import { sequentialColour, sequentialColourAlt, textColourOn } from '../shared/colour';
import { centreOf, clear, el, hideTooltip, showTooltip } from '../shared/dom';
import { fileSafe, formatProb, posLabels, showToken } from '../shared/format';
import type { Exportable } from '../shared/toolbar';
import { buildToolbar, exportAs } from '../shared/toolbar';
import { onHostMessage, post, saveState } from '../shared/vscodeApi';
import type { HeadRef } from './pattern';
import { attendedBy, attendsTo, attentionCsv, headPattern, headRefs, tokenCount } from './pattern';

const root = document.getElementById('app')!;
let current: Exportable | undefined;

function drawThumb(canvas: HTMLCanvasElement, p: Float64Array, T: number): void {
  canvas.width = T;
  canvas.height = T;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(T, T);
  for (let i = 0; i < T * T; i++) {
    const c = rgb(sequentialColour(p[i]));
    img.data.set([c.r, c.g, c.b, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}

/** What a cell of the large pattern asks for: the split of its attention score (key side). */
const SPLIT_HINT = 'Click or Enter: split this attention score (key side)';

function drawLarge(box: HTMLElement, p: Float64Array, labels: string[], ref: HeadRef, onSplit: (query: number, key: number) => void): SVGSVGElement {
  const T = labels.length;
  const cell = Math.max(10, Math.min(28, 560 / T));
  const margin = Math.min(140, 14 + 6 * Math.max(...labels.map((l) => l.length)));
  const size = margin + T * cell + 10;
  const svg = select(box).append('svg').attr('class', 'figure pattern').attr('width', size).attr('height', size + 24)
    .attr('viewBox', `0 0 ${size} ${size + 24}`).attr('role', 'group').attr('aria-label', `Attention pattern of L${ref.layer}H${ref.head}`);
  svg.append('text').attr('class', 'title').attr('x', 4).attr('y', 16).text(`L${ref.layer}H${ref.head} (rows: destination, columns: source)`);
  const g = svg.append('g').attr('transform', `translate(${margin},${margin + 24})`);
  // Cells by (query, key), for the arrow keys; one of them is in the tab order at a time.
  const rects = new Map<number, SVGRectElement>();
  const move = (from: SVGRectElement, q: number, k: number) => {
    const qq = Math.min(T - 1, Math.max(0, q));
    const next = rects.get(qq * T + Math.min(qq, Math.max(0, k)));
    if (!next || next === from) return;
    from.setAttribute('tabindex', '-1');
    next.setAttribute('tabindex', '0');
    next.focus();
  };
  const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  for (let q = 0; q < T; q++) {
    // Keys after the query are masked (causal attention): drawn as empty, as CircuitsVis does.
    for (let k = 0; k <= q; k++) {
      const v = p[q * T + k];
      const lines = [formatProb(v), `destination ${labels[q]}`, `source ${labels[k]}`, SPLIT_HINT];
      const rect = g.append('rect').attr('class', 'cell clickable').attr('x', k * cell).attr('y', q * cell).attr('width', cell - 1).attr('height', cell - 1)
        .attr('fill', sequentialColour(v)).attr('data-layer', ref.layer).attr('data-head', ref.head).attr('data-dest', q).attr('data-src', k)
        .attr('data-value', String(v)).attr('role', 'button').attr('tabindex', q === T - 1 && k === 0 ? 0 : -1)
        .attr('aria-label', `${labels[q]} → ${labels[k]}: ${formatProb(v)}. Split this attention score (key side)`)
        .on('mousemove', (ev: MouseEvent) => showTooltip(lines, ev.pageX, ev.pageY))
        .on('mouseleave blur', hideTooltip)
        .on('focus', function () { const c = centreOf(this as Element); showTooltip(lines, c.x, c.y); })
        .on('click', () => onSplit(q, k))
        .on('keydown', function (ev: KeyboardEvent) {
          if (ev.key in moves) move(this as SVGRectElement, q + moves[ev.key][0], k + moves[ev.key][1]);
          else if (ev.key === 'Enter' || ev.key === ' ') onSplit(q, k);
          else return;
          ev.preventDefault();
        });
      rects.set(q * T + k, rect.node()!);
    }
  }
  g.selectAll('text.row').data(labels).join('text').attr('class', 'tick row').attr('x', -4).attr('y', (_d, i) => i * cell + cell / 2)
    .attr('dy', '0.35em').attr('text-anchor', 'end').text((d) => d);
  g.selectAll('text.col').data(labels).join('text').attr('class', 'tick col').attr('text-anchor', 'start')
    .attr('transform', (_d, i) => `translate(${i * cell + cell / 2 + 3},-4) rotate(-60)`).text((d) => d);
  g.append('rect').attr('class', 'hl hl-row').attr('x', 0).attr('height', cell).attr('width', T * cell).attr('fill', 'none').attr('hidden', true);
  g.append('rect').attr('class', 'hl hl-col').attr('y', 0).attr('width', cell).attr('height', T * cell).attr('fill', 'none').attr('hidden', true);
  return svg.node()!;
}

/** Outlines the focused token's row (where it attends) and column (what attends to it). */
function highlight(svgNode: SVGSVGElement | undefined, i: number | undefined, T: number): void {
  if (!svgNode) return;
  const svg = select(svgNode);
  const cell = Number(svg.select('rect.cell').attr('width')) + 1;
  const at = i ?? 0;
  // Row: the keys it may attend to (0..i); column: the queries that may attend to it (i..T-1).
  svg.select('rect.hl-row').attr('hidden', i === undefined ? true : null).attr('y', at * cell).attr('width', (at + 1) * cell);
  svg.select('rect.hl-col').attr('hidden', i === undefined ? true : null).attr('x', at * cell).attr('y', at * cell).attr('height', (T - at) * cell);
}

function show(r: AttentionResult, focus: { layer: number; head: number } | undefined, prompt: string | undefined): void {
  clear(root);
  const T = tokenCount(r);
  const labels = posLabels(r.strTokens);
  const refs = headRefs(r);
  let sel = refs.find((h) => focus && h.layer === focus.layer && h.head === focus.head) ?? refs[0];
  let pattern = headPattern(r, sel);
  let locked: number | undefined;
  let largeSvg: SVGSVGElement | undefined;

  root.appendChild(el('h1', { text: `Attention patterns${prompt ? `: ${prompt}` : ''}` }));
  root.appendChild(buildToolbar(() => current));
  const thumbs = el('div', { cls: 'thumbs', attrs: { role: 'group', 'aria-label': 'Heads' } });
  const tokensBox = el('div', { cls: 'tokens-box' });
  const status = el('p', { cls: 'summary', attrs: { role: 'status' } });
  const large = el('div', { cls: 'facet' });
  // A fixed line (not the status, whose length changes on hover and would move the tokens).
  const hint = el('p', { cls: 'summary', text: 'Click a cell of the pattern (or Enter on it) to split its attention score (key side).' });
  root.append(thumbs, status, tokensBox, hint, large);

  const stripTo = el('div', { cls: 'token-text', attrs: { role: 'list', 'aria-label': 'Where the token attends (destination view)' } });
  const stripFrom = el('div', { cls: 'token-text', attrs: { role: 'list', 'aria-label': 'What attends to the token (source view)' } });
  tokensBox.append(el('div', { cls: 'strip-title', text: 'Attends to (as destination):' }), stripTo, el('div', { cls: 'strip-title', text: 'Attended by (as source):' }), stripFrom);
  const spans: HTMLSpanElement[][] = [[], []];
  const paint = (i: number | undefined) => {
    const to = i === undefined ? undefined : attendsTo(pattern, T, i);
    const from = i === undefined ? undefined : attendedBy(pattern, T, i);
    spans.forEach((row, s) => row.forEach((sp, j) => {
      const v = s === 0 ? to?.[j] : from?.[j];
      const fill = v === undefined ? '' : s === 0 ? sequentialColour(v) : sequentialColourAlt(v);
      sp.style.backgroundColor = fill;
      sp.style.color = fill ? textColourOn(fill) : '';
      sp.classList.toggle('focus', j === i);
      sp.title = v === undefined ? labels[j] : `${labels[j]}: ${formatProb(v)}`;
    }));
    highlight(largeSvg, i, T);
    status.textContent = i === undefined
      ? 'Hover or focus a token to see where it attends; click or Enter to lock it.'
      : `${showToken(r.strTokens[i])} (position ${i})${locked !== undefined ? ' locked, Escape to unlock' : ''}: blue = where it attends, orange = what attends to it.`;
  };
  [stripTo, stripFrom].forEach((strip, s) => r.strTokens.forEach((tok, j) => {
    const sp = el('span', { cls: 'tok', text: showToken(tok), attrs: { role: 'listitem', tabindex: '0', 'data-pos': String(j) } });
    sp.addEventListener('mouseenter', () => locked === undefined && paint(j));
    sp.addEventListener('focus', () => locked === undefined && paint(j));
    sp.addEventListener('mouseleave', () => locked === undefined && paint(undefined));
    sp.addEventListener('click', () => { locked = locked === j ? undefined : j; paint(locked ?? j); });
    sp.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') { locked = locked === j ? undefined : j; paint(locked ?? j); ev.preventDefault(); }
    });
    spans[s].push(sp);
    strip.appendChild(sp);
  }));
  document.onkeydown = (ev) => {
    if (ev.key === 'Escape' && locked !== undefined) { locked = undefined; paint(undefined); hideTooltip(); }
  };

  const buttons = refs.map((ref) => {
    const b = el('button', { cls: 'thumb', attrs: { type: 'button', 'aria-label': `Head L${ref.layer}H${ref.head}`, 'aria-pressed': 'false' } });
    const c = el('canvas', { attrs: { 'aria-hidden': 'true' } });
    drawThumb(c, headPattern(r, ref), T);
    b.append(c, el('span', { text: `L${ref.layer}H${ref.head}` }));
    b.addEventListener('click', () => choose(ref));
    b.addEventListener('focus', () => { const p = centreOf(b); showTooltip([`L${ref.layer}H${ref.head}`, 'Enter: show large'], p.x, p.y); });
    b.addEventListener('blur', hideTooltip);
    thumbs.appendChild(b);
    return b;
  });
  const choose = (ref: HeadRef) => {
    sel = ref;
    pattern = headPattern(r, ref);
    buttons.forEach((b, i) => b.setAttribute('aria-pressed', String(refs[i] === ref)));
    clear(large);
    largeSvg = drawLarge(large, pattern, labels, ref, (query, key) => post({ type: 'score/open', layer: ref.layer, head: ref.head, query, key }));
    paint(locked);
  };
  choose(sel);
  current = {
    get name() {
      return fileSafe(`attention-L${sel.layer}H${sel.head}`);
    },
    figures: () => (largeSvg ? [largeSvg] : []),
    csv: () => attentionCsv(r),
    json: () => r,
  };
}

onHostMessage((m) => {
  if (isAttentionShowMessage(m)) {
    document.body.dataset.theme = m.theme.kind;
    saveState(attentionPanelState(m));
    show(m.result, m.focus, m.prompt);
  } else if (isExportRequestMessage(m) && current) {
    void exportAs(current, m.format);
  }
});
post({ type: 'webview/ready' });
