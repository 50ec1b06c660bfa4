/**
 * The result panel's app: shows any saved run (patching, path patching, head scores,
 * DLA, attention score attribution, logit lens, ablation, test prompt) and its export toolbar.
 */
import type { SavedRun } from '../../src/protocol/ops';
import { isExportRequestMessage, isRunShowMessage, runPanelState } from '../../src/protocol/webview';
import { clear, el } from '../shared/dom';
import type { Exportable } from '../shared/toolbar';
import { buildToolbar, exportAs } from '../shared/toolbar';
import { onHostMessage, post, saveState } from '../shared/vscodeApi';
import { renderAblate } from './ablateView';
import { renderDla } from './dlaView';
import { renderLens } from './lensView';
import { isAttribution } from './patchText';
import { renderPatch } from './patchView';
import { renderScore } from './scoreView';
import { renderTestPrompt } from './testPromptView';
import type { ViewContext, ViewRenderer } from './view';

const RENDERERS: Partial<Record<SavedRun['command'], ViewRenderer>> = {
  patch: renderPatch,
  'path-patch': renderPatch,
  heads: renderPatch,
  dla: renderDla,
  'score-attribution': renderScore,
  'logit-lens': renderLens,
  ablate: renderAblate,
  'test-prompt': renderTestPrompt,
};

let current: Exportable | undefined;
const root = document.getElementById('app')!;

const ctx: ViewContext = {
  openHead: (layer, head, promptIndex) => post({ type: 'head/open', layer, head, promptIndex }),
};

function show(run: SavedRun, title: string | undefined): void {
  clear(root);
  root.appendChild(el('h1', { text: title ?? `${isAttribution(run) ? 'attrib' : run.command} · ${run.model.id}` }));
  root.appendChild(buildToolbar(() => current));
  const body = el('main', { cls: 'view' });
  root.appendChild(body);
  const render = RENDERERS[run.command];
  if (!render) {
    body.appendChild(el('p', { text: `No view for "${run.command}" results yet; export JSON to see them.` }));
    current = { name: run.command, figures: () => [], csv: () => '', json: () => run };
    return;
  }
  try {
    current = render(body, run, ctx);
  } catch (e) {
    body.appendChild(el('p', { cls: 'check bad', text: `Cannot draw this ${run.command} result: ${(e as Error).message}` }));
  }
}

onHostMessage((m) => {
  if (isRunShowMessage(m)) {
    document.body.dataset.theme = m.theme.kind;
    saveState(runPanelState(m));
    show(m.run, m.title);
  } else if (isExportRequestMessage(m) && current) {
    void exportAs(current, m.format);
  }
});
post({ type: 'webview/ready' });
