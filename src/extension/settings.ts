/**
 * The `circuitExplorer.*` settings, read in one place, and the Workspace Trust rule
 * (decided in trust.ts) applied to the live workspace.
 */
import * as vscode from 'vscode';
import type { ProcessingFlags } from '../protocol/ops';
import type { DeviceSetting, LoadModelParams } from '../protocol/rpc';
import { DEFAULT_MODEL } from '../engine/paths';
import { checkModelTrust, settingOrigin, type ModelOrigin } from './trust';

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

/** Throws a one-line error when Workspace Trust forbids loading `model` from `origin`. */
export function checkTrust(model: string, origin: ModelOrigin): void {
  checkModelTrust(model, origin, vscode.workspace.isTrusted);
}

/** The default model and who chose it (a value only the workspace sets is the workspace's). */
export function defaultModelChoice(): { model: string; origin: ModelOrigin } {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<string>('defaultModel');
  const model = readSettings().defaultModel;
  return { model, origin: settingOrigin(inspected, model) };
}

export function loadParams(model: string, cacheDir: string): LoadModelParams {
  const s = readSettings();
  return { model, device: s.device, processing: s.processing, hubBaseUrl: s.hubBaseUrl, cacheDir, memoryBudgetMB: s.memoryBudgetMB };
}
