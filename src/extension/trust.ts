/**
 * The Workspace Trust rule, as pure decisions (no vscode import, so it is unit-tested with
 * trusted and untrusted inputs): in an untrusted workspace a model named by the workspace
 * (a prompt set's "model" field, circuitExplorer.defaultModel in workspace settings) is
 * not loaded; only a bundled model is. A model the user picks or types always loads.
 */
import { UserError } from '../engine/errors';
import { BUNDLED_MODELS, DEFAULT_MODEL } from '../engine/paths';

/** Where a model name came from: the user typed/picked it, or the workspace named it. */
export type ModelOrigin = 'user' | 'workspace';

/** Throws a one-line error when Workspace Trust forbids loading `model` from `origin`. */
export function checkModelTrust(model: string, origin: ModelOrigin, trusted: boolean): void {
  if (trusted || origin === 'user' || BUNDLED_MODELS.includes(model)) return;
  throw new UserError(`not loading "${model}": it is named by this untrusted workspace; trust the workspace or load it with "Circuit Explorer: Load Model"`);
}

/** The levels of a setting, as `WorkspaceConfiguration.inspect()` reports them. */
export interface InspectedSetting<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/**
 * Who chose the setting's effective value: the user's own (global) value or the
 * extension's default counts as the user's; a value only the workspace sets is the
 * workspace's. (VS Code already ignores restricted workspace values when untrusted; this
 * keeps the rule where it does not, without blaming the workspace for a value it did not set.)
 */
export function settingOrigin<T>(inspected: InspectedSetting<T> | undefined, effective: T): ModelOrigin {
  if (!inspected || effective === inspected.globalValue) return 'user';
  if (effective === inspected.workspaceFolderValue || effective === inspected.workspaceValue) return 'workspace';
  // The extension's default, or the user's value standing in for a restricted workspace value.
  return 'user';
}

export interface ModelChoice { model: string; origin: ModelOrigin; /** Shown to the user when the choice is not what the workspace asked for. */ warning?: string }

/**
 * The model to load when a command needs one and none is loaded: the prompt set's model
 * (`preferred`; in an untrusted workspace only if bundled, else the bundled demo with a
 * warning), otherwise the default model setting with its origin.
 */
export function chooseModel(opts: { preferred?: string; defaultModel: { model: string; origin: ModelOrigin }; trusted: boolean }): ModelChoice {
  const { preferred, trusted } = opts;
  if (preferred) {
    if (trusted || BUNDLED_MODELS.includes(preferred)) return { model: preferred, origin: 'workspace' };
    return {
      model: DEFAULT_MODEL,
      origin: 'user',
      warning: `this untrusted workspace names the model "${preferred}"; using the bundled ${DEFAULT_MODEL} instead.`,
    };
  }
  return opts.defaultModel;
}
