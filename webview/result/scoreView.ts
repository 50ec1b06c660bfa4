/**
 * Attention score attribution: head L.H's score from the query to the key position split
 * over one side's residual stream, as a map of a "misc" row (W_E, W_pos, biases) above
 * each earlier layer's heads and MLP, with the check that the pieces add up to the score
 * the model computes. A click on a head cell opens that head's attention pattern.
 */
import type { SavedRun } from '../../src/protocol/ops';
import type { ScoreAttributionResult } from '../../src/protocol/results';
import { toCsv } from '../shared/csv';
import { el } from '../shared/dom';
import { formatProb, showToken } from '../shared/format';
import { scoreHeatmap, scoreMiscPieces } from '../shared/grid';
import { renderHeatmap } from '../shared/heatmap';
import type { Exportable } from '../shared/toolbar';
import { scoreCheck } from './dlaCheck';
import type { ViewContext } from './view';

/** "·Mary (4)": a token as the panels show it, with its position; a text string, set as textContent. */
function tokenAt(r: ScoreAttributionResult, pos: number): string {
  const t = r.strTokens[pos];
  return t === undefined ? `position ${pos}` : `${showToken(t)} (${pos})`;
}

export function renderScore(root: HTMLElement, run: SavedRun, ctx: ViewContext): Exportable {
  const r = run.result as ScoreAttributionResult;
  const check = scoreCheck(r);
  const fixed = r.side === 'key' ? 'the query fixed' : 'the key fixed';
  const over = r.prompts > 1 ? `Means over ${r.prompts} prompts; the tokens are the first prompt's.` : 'One prompt.';
  root.appendChild(el('p', { cls: 'summary', text: `Attention score of head L${r.layer}H${r.head}, split over the ${r.side}-side residual stream (${fixed}), each piece scaled by ln1's cached scale. ${over}` }));
  const dl = el('dl', { cls: 'score-facts' });
  const fact = (term: string, value: string) => dl.append(el('dt', { text: term }), el('dd', { text: value }));
  fact('query (attending)', tokenAt(r, r.queryPos));
  fact('key (attended to)', tokenAt(r, r.keyPos));
  fact('attention probability', `${formatProb(r.pattern)}${r.prompts > 1 ? ' (mean)' : ''}`);
  root.appendChild(dl);
  root.appendChild(el('p', { cls: check.ok ? 'check ok' : 'check bad', text: check.text, attrs: { role: 'status' } }));

  const box = el('div', { cls: 'facet' });
  root.appendChild(box);
  const spec = { ...scoreHeatmap(r), note: check.text };
  const map = renderHeatmap(box, spec, { onHead: (l, h) => ctx.openHead(l, h, 0) });

  const csv = () => {
    const [L, C] = r.components.dims;
    const H = C - 1;
    const rows: (string | number)[][] = scoreMiscPieces(r).map((p) => [p.tag, '', '', p.value]);
    for (let l = 0; l < L; l++) for (let c = 0; c < C; c++) rows.push([c < H ? `${l}.${c}` : `MLP${l}`, l, c < H ? c : 'MLP', r.components.values[l * C + c]]);
    rows.push(['total', '', '', r.total], ['actual', '', '', r.actual], ['pattern', '', '', r.pattern]);
    return toCsv(['component', 'layer', 'head', 'value'], rows);
  };
  return { name: `score-L${r.layer}H${r.head}-${r.side}`, figures: () => [map], csv, json: () => run };
}
