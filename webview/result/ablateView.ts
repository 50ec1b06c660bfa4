/**
 * Head ablation: the text with each predicted token shaded by its loss change (red =
 * the ablation hurts), a bar per token for export, and the tokens where it matters most.
 */
import type { SavedRun } from '../../src/protocol/ops';
import type { AblateResult } from '../../src/protocol/results';
import { renderBars } from '../shared/bars';
import { divergingColour, maxAbs, textColourOn } from '../shared/colour';
import { toCsv } from '../shared/csv';
import { el } from '../shared/dom';
import { formatValue, showToken } from '../shared/format';
import type { Exportable } from '../shared/toolbar';

export function ablateCsv(r: AblateResult): string {
  return toCsv(['pos', 'token', 'next', 'lossClean', 'lossAblated', 'delta'], r.perToken.map((p) => [p.pos, p.token, p.next, p.lossClean, p.lossAblated, p.delta]));
}

export function renderAblate(root: HTMLElement, run: SavedRun): Exportable {
  const r = run.result as AblateResult;
  const d = r.lossAblated - r.lossClean;
  root.appendChild(el('p', { cls: 'summary', text: `${r.mode} ablation of ${r.heads.join(', ')}: mean loss ${formatValue(r.lossClean)} → ${formatValue(r.lossAblated)} (Δ ${d >= 0 ? '+' : ''}${formatValue(d)}). Each token is shaded by how much harder it became to predict (red: the head helped predict it).` }));
  // Loss increase is bad, so it is drawn red: the scale is fed −delta.
  const m = maxAbs(r.perToken.map((p) => p.delta));
  const text = el('div', { cls: 'token-text', attrs: { role: 'list', 'aria-label': 'Per-token loss change' } });
  for (const p of r.perToken) {
    const fill = divergingColour(-p.delta, m);
    const span = el('span', { cls: 'tok', text: showToken(p.next), attrs: { role: 'listitem', tabindex: '0', title: `predicting ${showToken(p.next)} after ${showToken(p.token)}: Δ loss ${formatValue(p.delta)}`, 'data-pos': String(p.pos + 1), 'data-value': String(p.delta) } });
    span.style.backgroundColor = fill;
    span.style.color = textColourOn(fill);
    text.appendChild(span);
  }
  root.appendChild(text);
  const tbl = el('table', { cls: 'data' });
  tbl.appendChild(el('caption', { text: 'Where the ablation matters most' }));
  tbl.appendChild(el('tr', {}, ...['pos', 'context', 'next', 'Δ loss'].map((h) => el('th', { text: h }))));
  for (const t of r.topTokens) {
    tbl.appendChild(el('tr', {}, el('td', { text: String(t.pos) }), el('td', { cls: 'mono', text: showToken(t.context) }), el('td', { cls: 'mono', text: showToken(t.next) }), el('td', { cls: 'num', text: formatValue(t.delta) })));
  }
  root.appendChild(tbl);
  const top = r.topTokens.slice(0, 20);
  const box = el('div', { cls: 'facet' });
  root.appendChild(box);
  const bars = renderBars(box, { title: 'loss change (ablated − clean), top tokens', labels: top.map((t) => `${showToken(t.next)} ${t.pos + 1}`), values: top.map((t) => t.delta), signed: true, dataName: 'pos' });
  return { name: 'ablate', figures: () => [bars], csv: () => ablateCsv(r), json: () => run };
}
