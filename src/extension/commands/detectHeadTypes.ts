/** Circuit Explorer: Detect Head Types — induction, previous-token, duplicate-token, copying scores. */
import * as vscode from 'vscode';
import type { CommandModule } from '../services';
import { runAndShow } from '../runAndShow';
import { argsOf } from './args';

const DETECTORS = [
  { label: 'induction', description: 'attends to the token after an earlier copy of the current one (repeated random tokens)', picked: true },
  { label: 'previous', description: 'attends to the previous token', picked: true },
  { label: 'duplicate', description: 'attends to earlier copies of the current token', picked: true },
  { label: 'copying', description: 'OV circuit copies tokens (positive eigenvalues)', picked: false },
];

export const detectHeadTypes: CommandModule = {
  id: 'circuitExplorer.detectHeadTypes',
  async run(s, raw) {
    const a = argsOf<{ detect: string[]; seqLen: number; batch: number; seed: number }>(raw);
    let detect = a.detect;
    if (!detect) {
      const picks = await vscode.window.showQuickPick(DETECTORS, { title: 'Detect Head Types', canPickMany: true });
      if (!picks || picks.length === 0) return undefined;
      detect = picks.map((p) => p.label);
    }
    return runAndShow(s, { op: 'heads', detect, seqLen: a.seqLen, batch: a.batch, seed: a.seed }, `head types (${detect.join(', ')})`);
  },
};
