/** Circuit Explorer: Load Model — bundled demo, hub ids, models in the Hugging Face cache, or a local folder. */
import * as vscode from 'vscode';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODEL } from '../../engine/paths';
import type { CommandModule } from '../services';
import type { ModelOrigin } from '../trust';
import { argsOf } from './args';

interface LoadArgs { model: string; origin: ModelOrigin }

/** `models--ORG--NAME` folders of the Hugging Face hub cache (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub). */
export function cachedHubModels(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = env.HF_HUB_CACHE ?? join(env.HF_HOME ?? join(homedir(), '.cache', 'huggingface'), 'hub');
  if (!existsSync(dir)) return [];
  try {
    return readdirSync(dir)
      .filter((n) => n.startsWith('models--'))
      .map((n) => n.slice('models--'.length).split('--').join('/'))
      .sort();
  } catch {
    return [];
  }
}

const FOLDER = 'Local folder…';

export const loadModel: CommandModule = {
  id: 'circuitExplorer.loadModel',
  async run(s, raw) {
    const a = argsOf<LoadArgs>(raw);
    let model = a.model;
    if (!model) {
      const items: vscode.QuickPickItem[] = [
        { label: DEFAULT_MODEL, description: 'bundled demo (3 layers × 4 heads, offline)' },
        { label: 'gpt2', description: 'GPT-2 small, 12 layers × 12 heads (Hub or cache)' },
        { label: 'EleutherAI/pythia-70m', description: 'Pythia 70M, 6 layers × 8 heads' },
        { label: 'EleutherAI/pythia-410m', description: 'Pythia 410M, 24 layers × 16 heads' },
      ];
      const known = new Set(items.map((i) => i.label));
      const cached = cachedHubModels().filter((m) => !known.has(m));
      if (cached.length) items.push({ label: 'Hugging Face cache', kind: vscode.QuickPickItemKind.Separator }, ...cached.map((m) => ({ label: m, description: 'in your Hugging Face cache' })));
      items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: FOLDER, description: 'config.json + safetensors or pytorch_model.bin + tokenizer' });
      const pick = await vscode.window.showQuickPick(items, { title: 'Circuit Explorer: Load Model', placeHolder: s.session.model ? `loaded: ${s.session.model.id}` : 'choose a model' });
      if (!pick) return undefined;
      model = pick.label;
      if (model === FOLDER) {
        const uri = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Load this model' });
        if (!uri?.[0]) return undefined;
        model = uri[0].fsPath;
      }
    }
    return s.session.load(model, a.origin ?? 'user');
  },
};
