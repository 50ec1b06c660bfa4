/** Circuit Explorer: Export Current Figure — PNG/SVG/CSV/JSON of the active panel. */
import type { ExportFormat } from '../../protocol/webview';
import { exportCurrentFigure } from '../panels/open';
import type { CommandModule } from '../services';
import { argsOf } from './args';

export const exportFigure: CommandModule = {
  id: 'circuitExplorer.exportFigure',
  async run(_s, raw) {
    await exportCurrentFigure(argsOf<{ format: ExportFormat }>(raw).format);
    return true;
  },
};
