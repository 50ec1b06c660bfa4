/**
 * The export toolbar (PNG / SVG / CSV / JSON buttons) and the export action shared by the
 * buttons and the host's `export/request` (the "Export figure" command).
 */
import type { ExportFormat } from '../../src/protocol/webview';
import { EXPORT_FORMATS } from '../../src/protocol/webview';
import { el } from './dom';
import { figuresToSvg, svgToPngBase64 } from './export';
import { post } from './vscodeApi';

/** What the current view can export. */
export interface Exportable {
  name: string;
  figures(): SVGSVGElement[];
  csv(): string;
  json(): unknown;
}

export async function exportAs(view: Exportable, format: ExportFormat): Promise<void> {
  let data: string;
  if (format === 'csv') data = view.csv();
  else if (format === 'json') data = JSON.stringify(view.json(), null, 2);
  else {
    const { svg, width, height } = figuresToSvg(view.figures());
    data = format === 'svg' ? svg : await svgToPngBase64(svg, width, height);
  }
  post({ type: 'export/save', format, data, suggestedName: `${view.name}.${format}` });
}

export function buildToolbar(current: () => Exportable | undefined): HTMLElement {
  const bar = el('div', { cls: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Export' } });
  bar.appendChild(el('span', { cls: 'toolbar-label', text: 'Export' }));
  for (const f of EXPORT_FORMATS) {
    const b = el('button', { text: f.toUpperCase(), attrs: { type: 'button', title: `Save as ${f.toUpperCase()}` } });
    b.addEventListener('click', () => {
      const v = current();
      if (v) void exportAs(v, f);
    });
    bar.appendChild(b);
  }
  return bar;
}
