/** Circuit Explorer: Unload Model — frees the engine's memory. */
import type { CommandModule } from '../services';

export const unloadModel: CommandModule = {
  id: 'circuitExplorer.unloadModel',
  async run(s) {
    await s.session.unload();
    return true;
  },
};
