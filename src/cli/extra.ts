/**
 * Commands that are not analyses of one model: `models` (what can be loaded offline)
 * and `bench` (the patching engine's speed against the TransformerLens way, CONTRACTS §4).
 */
import { runBench } from '../analysis/bench';
import { parsePatchKind } from '../analysis/sites';
import type { Command } from './commands';
import { fmt, table } from './format';
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
  {
    name: 'bench',
    summary: 'Time the batched patching sweeps against the TransformerLens way (one forward per site) in this process.',
    usage: 'circuit-explorer bench [--sweep resid_pre,attn_head_out_all_pos] [--prompts 8] [--tokens 16] [--model …]',
    flags: [
      { name: 'sweep', type: 'list', value: 'kind,…', help: 'patch kinds to time (default resid_pre, attn_head_out_all_pos, attn_head_all_pos_every)' },
      { name: 'prompts', type: 'integer', min: 1, value: 'n', help: 'prompt pairs (default 8)' },
      { name: 'tokens', type: 'integer', value: 'n', help: 'tokens per prompt (default 16)' },
    ],
    loadsModel: true,
    async run(env) {
      const sweeps = (env.flags.sweep as string[] | undefined)?.map(parsePatchKind);
      // Without --model the bench times a random GPT-2-small-shaped checkpoint, not the demo model.
      const model = env.flags.model !== undefined ? await env.model() : undefined;
      const r = await runBench({ model, sweeps, prompts: env.flags.prompts as number | undefined, tokens: env.flags.tokens as number | undefined, device: env.flags.device as string | undefined, onProgress: env.progress });
      const human =
        `${r.model.id}: ${r.model.layers} layers, d_model ${r.model.dModel}, ${r.model.heads} heads; ${r.prompts} prompts × ${r.tokens} tokens on ${r.machine.device} (${r.machine.cores} cores)\n` +
        `prompts: ${r.promptPairs}\n` +
        table(['sweep', 'sites', 'seconds', 'naive s', 'speedup', 'attribution s'], r.sweeps.map((s) => [s.kind, String(s.sites), fmt(s.seconds, 2), fmt(s.naiveSeconds, 2), `${fmt(s.speedup, 1)}×`, fmt(s.attributionSeconds, 2)])) +
        `forward: ${fmt(r.forward.tokensPerSecond, 0)} tokens/s, model load ${fmt(r.loadSeconds, 1)} s, rss ${fmt(r.rssMB, 0)} MB\n`;
      return { json: r, human };
    },
  },
];
