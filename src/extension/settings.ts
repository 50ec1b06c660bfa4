/**
 * The `circuitExplorer.*` settings, read in one place, and the Workspace Trust rule:
 * in an untrusted workspace a model named by the workspace (a prompt set's "model" field,
 * workspace settings) is not loaded; only the bundled demo model is.
 */
import * as vscode from 'vscode';
import type { ProcessingFlags } from '../protocol/ops';
import type { DeviceSetting, LoadModelParams } from '../protocol/rpc';
import { DEFAULT_MODEL, BUNDLED_MODELS } from '../engine/paths';
import { UserError } from '../engine/errors';

export const SECTION = 'circuitExplorer';

export interface Settings {
  defaultModel: string;
  device: DeviceSetting;
  processing: Required<ProcessingFlags>;
  hubBaseUrl: string;
  memoryBudgetMB: number;
  hoverEnabled: boolean;
  hoverAutoLoad: boolean;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    defaultModel: c.get<string>('defaultModel') || DEFAULT_MODEL,
    device: c.get<DeviceSetting>('device') ?? 'auto',
    processing: {
      foldLn: c.get<boolean>('processing.foldLn') ?? true,
      centerWritingWeights: c.get<boolean>('processing.centerWritingWeights') ?? true,
      centerUnembed: c.get<boolean>('processing.centerUnembed') ?? true,
      foldValueBiases: c.get<boolean>('processing.foldValueBiases') ?? true,
    },
    hubBaseUrl: c.get<string>('hubBaseUrl') || 'https://huggingface.co',
    memoryBudgetMB: c.get<number>('memoryBudgetMB') ?? 4096,
    hoverEnabled: c.get<boolean>('hover.enabled') ?? true,
    hoverAutoLoad: c.get<boolean>('hover.autoLoadModel') ?? false,
  };
}

/** Where a model name came from: the user typed/picked it, or the workspace named it. */
export type ModelOrigin = 'user' | 'workspace';

/** Throws a one-line error when Workspace Trust forbids loading `model` from `origin`. */
export function checkTrust(model: string, origin: ModelOrigin): void {
  if (vscode.workspace.isTrusted || origin === 'user' || BUNDLED_MODELS.includes(model)) return;
  throw new UserError(`not loading "${model}": it is named by this untrusted workspace; trust the workspace or load it with "Circuit Explorer: Load Model"`);
}

/** The default model and where the name came from (a workspace-level value counts as the workspace's). */
export function defaultModelChoice(): { model: string; origin: ModelOrigin } {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<string>('defaultModel');
  const fromWorkspace = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  return { model: readSettings().defaultModel, origin: fromWorkspace !== undefined ? 'workspace' : 'user' };
}

export function loadParams(model: string, cacheDir: string): LoadModelParams {
  const s = readSettings();
  return { model, device: s.device, processing: s.processing, hubBaseUrl: s.hubBaseUrl, cacheDir, memoryBudgetMB: s.memoryBudgetMB };
}
