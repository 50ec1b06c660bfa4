/**
 * Commands that are not analyses of one model: `models` (what can be loaded offline)
 * and `bench` (the patching engine's speed against the TransformerLens way, CONTRACTS §4).
 */
import type { Command } from './commands';
import { table } from './format';
import { listModels } from './models';

export const extraCommands: Command[] = [
  {
    name: 'models',
    summary: 'List the bundled models and the models in your Hugging Face cache.',
    usage: 'circuit-explorer models',
    flags: [],
    loadsModel: false,
    async run() {
      const r = listModels(process.env);
      const rows = [...r.bundled.map((m) => [m.id, 'bundled', m.path]), ...r.cache.map((m) => [m.id, `HF cache (${m.revisions.length} rev)`, m.path])];
      return { json: r, human: table(['model', 'where', 'path'], rows) + (r.cache.length ? '' : `(no models in the Hugging Face cache ${r.cacheDir})\n`) };
    },
  },
];
