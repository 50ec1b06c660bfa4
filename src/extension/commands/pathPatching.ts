/** Circuit Explorer: Path Patching — sender heads → the receivers' q/k/v, or the residual stream at the end. */
import type { CommandModule } from '../services';
import { resolveSpec, type PromptArgs } from '../promptInput';
import { runAndShow } from '../runAndShow';
import { argsOf, parseHeads } from './args';
import { askHeads, pickOne } from './ask';

type ReceiverInput = 'q' | 'k' | 'v' | 'resid';

export const pathPatching: CommandModule = {
  id: 'circuitExplorer.pathPatching',
  async run(s, raw) {
    const a = argsOf<PromptArgs & { receivers: string | string[]; receiverInput: ReceiverInput }>(raw);
    let receivers = a.receivers;
    if (receivers === undefined) {
      receivers = await askHeads('Path Patching: receiver heads', 'Receiver heads as layer.head, comma-separated (e.g. 9.6,9.9)', 'receiver head');
      if (receivers === undefined) return undefined;
    }
    const list = parseHeads(receivers, 'receiver head');
    let input = a.receiverInput;
    if (!input) {
      input = await pickOne<ReceiverInput>('Path Patching: which input of the receivers', [
        { label: 'q', description: 'the receivers\' queries' },
        { label: 'k', description: 'the receivers\' keys' },
        { label: 'v', description: 'the receivers\' values' },
        { label: 'resid', description: 'the residual stream at the end (direct effect; receivers ignored)' },
      ]);
      if (!input) return undefined;
    }
    const got = await resolveSpec(s.session, a, 'Path Patching');
    if (!got) return undefined;
    return runAndShow(s, { op: 'path-patch', spec: got.spec, receivers: list, receiverInput: input }, `path patching → ${list.join(',')} (${input})`);
  },
};
