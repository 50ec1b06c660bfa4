/** Circuit Explorer: Direct Logit Attribution — the logit difference split over components and heads. */
import type { CommandModule } from '../services';
import { resolveSpec, type PromptArgs } from '../promptInput';
import { runAndShow } from '../runAndShow';
import { argsOf } from './args';

export const directLogitAttribution: CommandModule = {
  id: 'circuitExplorer.directLogitAttribution',
  async run(s, raw) {
    const got = await resolveSpec(s.session, argsOf<PromptArgs>(raw), 'Direct Logit Attribution');
    if (!got) return undefined;
    return runAndShow(s, { op: 'dla', spec: got.spec }, 'direct logit attribution');
  },
};
