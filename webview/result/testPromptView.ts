/** test_prompt: the tokens, the answer's rank, logit and probability, and the top-k. */
import type { SavedRun } from '../../src/protocol/ops';
import type { TestPromptResult } from '../../src/protocol/results';
import { renderBars } from '../shared/bars';
import { toCsv } from '../shared/csv';
import { el } from '../shared/dom';
import { formatProb, formatValue, posLabels, showToken } from '../shared/format';
import type { Exportable } from '../shared/toolbar';

export function renderTestPrompt(root: HTMLElement, run: SavedRun): Exportable {
  const r = run.result as TestPromptResult;
  const list = el('ol', { cls: 'token-list', attrs: { 'aria-label': 'Tokenized prompt' } });
  posLabels(r.strTokens).forEach((l) => list.appendChild(el('li', { cls: 'tok-chip', text: l })));
  root.appendChild(el('p', { cls: 'summary', text: 'Tokenized prompt:' }));
  root.appendChild(list);
  const a = r.answer;
  root.appendChild(el('p', { cls: 'summary', text: `Answer ${showToken(a.token)}: rank ${a.rank}, logit ${formatValue(a.logit)}, prob ${formatProb(a.prob)}` }));
  const tbl = el('table', { cls: 'data' });
  tbl.appendChild(el('tr', {}, ...['rank', 'token', 'logit', 'prob'].map((h) => el('th', { text: h }))));
  r.top.forEach((t, i) => {
    const row = el('tr', { cls: t.token === a.token ? 'answer' : '' }, el('td', { text: String(i) }), el('td', { cls: 'mono', text: showToken(t.token) }), el('td', { cls: 'num', text: formatValue(t.logit) }), el('td', { cls: 'num', text: formatProb(t.prob) }));
    tbl.appendChild(row);
  });
  root.appendChild(tbl);
  const box = el('div', { cls: 'facet' });
  root.appendChild(box);
  const bars = renderBars(box, { title: 'top tokens', labels: r.top.map((t) => showToken(t.token)), values: r.top.map((t) => t.prob), signed: false, format: formatProb, dataName: 'token' });
  const csv = () => toCsv(['rank', 'token', 'id', 'logit', 'prob'], r.top.map((t, i) => [i, t.token, t.id, t.logit, t.prob]));
  return { name: 'test-prompt', figures: () => [bars], csv, json: () => run };
}
