/**
 * Circuit Explorer: Attribution Patching — the first-order (gradient) estimate of activation
 * patching for every site of a kind, from one forward and backward pass through the base run.
 * Same arguments and quick pick as Activation Patching; only the op's `method` differs.
 */
import type { CommandModule } from '../services';
import { runPatchingCommand } from './activationPatching';

export const attributionPatching: CommandModule = {
  id: 'circuitExplorer.attributionPatching',
  run: (s, raw) => runPatchingCommand(s, raw, { method: 'attribution', name: 'Attribution Patching', verb: 'attribute' }),
};
