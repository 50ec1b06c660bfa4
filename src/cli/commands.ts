/**
 * The CLI's commands (CONTRACTS §1): each one turns its flags into an `OpRequest`, runs it
 * through the same dispatcher as the extension (`runOp`) and formats the result for a
 * human; `--json` prints the result object itself.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from '../engine/errors';
import type { Model } from '../engine/types';
import { PATCH_KINDS, parsePatchKind } from '../analysis/sites';
import { runOp } from '../analysis/ops';
import { parsePromptSetJson } from '../analysis/promptSet';
import type { OpName, OpRequest, OpResult, Progress, PromptSetFile } from '../protocol/ops';
import type { PatchResult } from '../protocol/results';
import { intList, requireFlag, UsageError, type Flags, type FlagSpec } from './args';
import { fmt, heatmap, indexLabels, pct, table, tok } from './format';

export interface CommandEnv {
  flags: Flags;
  cwd: string;
  model: () => Promise<Model>;
  log: (line: string) => void;
  progress: (p: Progress) => void;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  flags: FlagSpec[];
  /** Needs a model (all but `models`). */
  loadsModel: boolean;
  run(env: CommandEnv): Promise<{ json: unknown; human: string }>;
}

const NO_BOS: FlagSpec = { name: 'no-bos', type: 'boolean', help: 'do not prepend BOS (TransformerLens prepends it by default)' };
const PROMPT: FlagSpec = { name: 'prompt', type: 'string', value: 'text', help: 'the prompt', allowEmpty: true };
const TOP_K: FlagSpec = { name: 'top-k', type: 'integer', min: 1, value: 'k', help: 'how many top tokens to show (default 10)' };
const MEMORY_BUDGET: FlagSpec = { name: 'memory-budget', type: 'number', value: 'MB', help: "activations of one chunk of the sweep, in MB (default 1024): lower it when memory is short, raise it for fewer, larger batches" };
const SPEC: FlagSpec = { name: 'spec', type: 'string', value: 'file.circuit.json', help: 'prompt-set file (clean, corrupted, answer, wrong)' };

async function readSpec(path: string, cwd: string): Promise<PromptSetFile> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (err) {
    throw new UserError(`cannot read prompt set ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // Shape and tokens are checked by the analysis (loadPromptSet), with errors named after `path`.
  return parsePromptSetJson(text, path) as PromptSetFile;
}

/** Runs an op; prompt-set errors ("prompt set: …") are renamed after the file the user gave. */
async function op<N extends OpName>(env: CommandEnv, req: Extract<OpRequest, { op: N }>, specPath?: string): Promise<OpResult<N>> {
  const model = await env.model();
  try {
    return await runOp(model, req, { cwd: env.cwd, onProgress: env.progress });
  } catch (err) {
    if (specPath && err instanceof UserError) throw new UserError(err.message.replace(/^prompt set\b/, specPath));
    throw err;
  }
}

const num = (env: CommandEnv, name: string) => env.flags[name] as number | undefined;
const list = (env: CommandEnv, name: string) => env.flags[name] as string[] | undefined;
const bos = (env: CommandEnv) => !env.flags['no-bos'];

/** --memory-budget, checked before the model loads so a typo fails fast. */
function memoryBudget(env: CommandEnv, cmd: string): number | undefined {
  const mb = num(env, 'memory-budget');
  if (mb !== undefined && !(mb > 0)) throw new UsageError(`${cmd}: --memory-budget must be a positive number of MB, got ${mb}`);
  return mb;
}

function need(env: CommandEnv, cmd: string, name: string): string {
  return requireFlag<string>(env.flags, name, cmd);
}

/** The axis layout of a patching result, as text heatmaps (one per facet or layer for 3-D). */
function patchHeatmaps(r: Pick<PatchResult, 'dims' | 'axes' | 'labels' | 'values'>, title: string): string {
  const label = (axis: string, n: number) => r.labels[axis] ?? indexLabels(n, '');
  if (r.dims.length === 2) {
    const [a, b] = r.axes;
    // Positions read best down the page; layers and heads across.
    if (a === 'layer' && b === 'pos') {
      const [L, T] = r.dims;
      const t = Array.from({ length: T * L }, (_, i) => r.values[(i % L) * T + Math.floor(i / L)]);
      return heatmap(title, 'pos', label('pos', T), label('layer', L).map((s) => `L${s}`), t);
    }
    return heatmap(title, a, label(a, r.dims[0]).map((s) => (a === 'layer' ? `L${s}` : s)), label(b, r.dims[1]).map((s) => (b === 'head' ? `H${s}` : s)), r.values);
  }
  const [n0, n1, n2] = r.dims;
  const outer = label(r.axes[0], n0);
  return outer
    .map((o, i) =>
      patchHeatmaps(
        { dims: [n1, n2], axes: r.axes.slice(1), labels: r.labels, values: r.values.slice(i * n1 * n2, (i + 1) * n1 * n2) },
        `${title} — ${r.axes[0]} ${r.axes[0] === 'layer' ? `L${o}` : o}`,
      ),
    )
    .join('\n');
}

export const COMMANDS: Command[] = [
  {
    name: 'tokenize',
    summary: 'Token ids and strings of a text, as model.to_tokens / to_str_tokens.',
    usage: 'circuit-explorer tokenize --text <text> [--no-bos]',
    flags: [{ name: 'text', type: 'string', value: 'text', help: 'the text to tokenize', allowEmpty: true }, NO_BOS],
    loadsModel: true,
    async run(env) {
      const r = await op(env, { op: 'tokenize', text: need(env, 'tokenize', 'text'), prependBos: bos(env) });
      return { json: r, human: table(['pos', 'id', 'token'], r.tokens.map((id, i) => [String(i), String(id), tok(r.strTokens[i])])) };
    },
  },
  {
    name: 'test-prompt',
    summary: "TransformerLens utils.test_prompt: the answer's rank, logit and probability, and the top tokens.",
    usage: 'circuit-explorer test-prompt --prompt <text> --answer <token> [--top-k 10]',
    flags: [PROMPT, { name: 'answer', type: 'string', allowEmpty: true, value: 'token', help: 'a single-token answer, e.g. " Mary"' }, TOP_K, NO_BOS],
    loadsModel: true,
    async run(env) {
      const r = await op(env, { op: 'test-prompt', prompt: need(env, 'test-prompt', 'prompt'), answer: need(env, 'test-prompt', 'answer'), topK: num(env, 'top-k'), prependBos: bos(env) });
      const a = r.answer;
      const human =
        `Tokenized prompt: [${r.strTokens.map((s) => `'${tok(s)}'`).join(', ')}]\n` +
        `Tokenized answer: ['${tok(a.token)}']\n` +
        `Performance on answer token: rank ${a.rank}  logit ${fmt(a.logit, 2)}  prob ${pct(a.prob)}  token |${tok(a.token)}|\n\n` +
        table(['rank', 'logit', 'prob', 'token'], r.top.map((t, i) => [String(i), fmt(t.logit, 2), pct(t.prob), `|${tok(t.token)}|`]));
      return { json: r, human };
    },
  },
  {
    name: 'run',
    summary: 'Run a prompt and return the activations of the given hooks (run_with_cache) and the top next tokens.',
    usage: 'circuit-explorer run --prompt <text> [--hooks blocks.0.attn.hook_pattern,…] [--top-k 10]',
    flags: [PROMPT, { name: 'hooks', type: 'list', value: 'name,…', help: 'hook names to return, TransformerLens spelling' }, TOP_K, NO_BOS],
    loadsModel: true,
    async run(env) {
      const r = await op(env, { op: 'run', prompt: need(env, 'run', 'prompt'), hooks: list(env, 'hooks'), topK: num(env, 'top-k'), prependBos: bos(env) });
      const hooks = Object.entries(r.cache).map(([h, t]) => [h, `[${t.dims.join(', ')}]`]);
      const human =
        `tokens: ${r.strTokens.map(tok).join(' ')}\n\n` +
        table(['rank', 'logit', 'prob', 'token'], r.top.map((t, i) => [String(i), fmt(t.logit, 2), pct(t.prob), `|${tok(t.token)}|`])) +
        (hooks.length ? `\n${table(['hook', 'shape'], hooks)}(use --json for the values)\n` : '');
      return { json: r, human };
    },
  },
  {
    name: 'attention',
    summary: 'Attention patterns [layer, head, query, key] of one prompt.',
    usage: 'circuit-explorer attention --prompt <text> [--layers 0,1] [--heads 0,3]',
    flags: [PROMPT, { name: 'layers', type: 'list', value: 'L,…', help: 'layers (default all)' }, { name: 'heads', type: 'list', value: 'H,…', help: 'heads (default all)' }, NO_BOS],
    loadsModel: true,
    async run(env) {
      const r = await op(env, { op: 'attention', prompt: need(env, 'attention', 'prompt'), layers: intList(env.flags, 'layers', 'attention'), heads: intList(env.flags, 'heads', 'attention'), prependBos: bos(env) });
      const T = r.strTokens.length;
      const labels = r.strTokens.map((s, i) => `${tok(s)} ${i}`);
      const parts: string[] = [];
      r.layers.forEach((l, li) =>
        r.heads.forEach((h, hi) => {
          const off = (li * r.heads.length + hi) * T * T;
          parts.push(heatmap(`L${l}H${h} (rows: query, columns: key)`, 'query', labels, indexLabels(T, ''), r.values.slice(off, off + T * T)));
        }),
      );
      return { json: r, human: parts.join('\n') };
    },
  },
  {
    name: 'patch',
    summary: 'Activation patching (transformer_lens.patching): normalised logit difference per site, clean into corrupted; or its gradient estimate, attribution patching.',
    usage: `circuit-explorer patch --spec <file> --kind <${PATCH_KINDS.join('|')}> [--noising] [--method activation|attribution] [--memory-budget MB]`,
    flags: [
      SPEC,
      { name: 'kind', type: 'string', value: 'kind', help: 'what to patch, as transformer_lens.patching names it' },
      { name: 'noising', type: 'boolean', help: 'patch corrupted into clean instead' },
      { name: 'method', type: 'string', value: 'activation|attribution', help: 'activation: run every site (default); attribution: estimate every site from one backward pass' },
      MEMORY_BUDGET,
    ],
    loadsModel: true,
    async run(env) {
      const spec = need(env, 'patch', 'spec');
      const kind = parsePatchKind(need(env, 'patch', 'kind'));
      const method = env.flags.method as string | undefined;
      if (method !== undefined && method !== 'activation' && method !== 'attribution') throw new UsageError(`patch: --method must be activation or attribution, got "${method}"`);
      const file = await readSpec(spec, env.cwd);
      const r = await op(env, { op: 'patch', spec: file, kind, noising: env.flags.noising === true, memoryBudgetMB: memoryBudget(env, 'patch'), method }, spec);
      const how = r.method === 'attribution' ? 'attribution patching, a first-order estimate; ' : '';
      const head = `${r.kind} (${how}${r.noising ? 'noising' : 'denoising'}): clean ${fmt(r.clean)}, corrupted ${fmt(r.corrupted)}, ${fmt(r.seconds, 2)} s\n`;
      return { json: r, human: head + patchHeatmaps(r, 'normalised logit difference (1 = clean, 0 = corrupted)') };
    },
  },
  {
    name: 'path-patch',
    summary: "Path patching (IOI paper, appendix B): each sender head's effect through the receivers' input.",
    usage: 'circuit-explorer path-patch --spec <file> --receivers L.H,… --receiver-input q|k|v|resid [--memory-budget MB]',
    flags: [SPEC, { name: 'receivers', type: 'list', value: 'L.H,…', help: 'receiver heads (not needed for resid)' }, { name: 'receiver-input', type: 'string', value: 'q|k|v|resid', help: "the receivers' input the path goes through; resid = direct effect on the logits" }, MEMORY_BUDGET],
    loadsModel: true,
    async run(env) {
      const spec = need(env, 'path-patch', 'spec');
      const input = need(env, 'path-patch', 'receiver-input');
      if (!['q', 'k', 'v', 'resid'].includes(input)) throw new UsageError(`path-patch: --receiver-input must be q, k, v or resid, got "${input}"`);
      const receivers = list(env, 'receivers') ?? [];
      if (input !== 'resid' && receivers.length === 0) throw new UsageError('path-patch: --receivers is required unless --receiver-input resid');
      const file = await readSpec(spec, env.cwd);
      const r = await op(env, { op: 'path-patch', spec: file, receivers, receiverInput: input as 'q' | 'k' | 'v' | 'resid', memoryBudgetMB: memoryBudget(env, 'path-patch') }, spec);
      const head = `senders → ${r.receiverInput === 'resid' ? 'logits (direct)' : `${r.receivers.join(', ')} (${r.receiverInput})`}: clean ${fmt(r.clean)}, corrupted ${fmt(r.corrupted)}, ${fmt(r.seconds, 2)} s\n`;
      return { json: r, human: head + patchHeatmaps(r, 'normalised logit difference per sender head') };
    },
  },
  {
    name: 'dla',
    summary: 'Direct logit attribution of the logit difference to each layer component and head (mean over prompts).',
    usage: 'circuit-explorer dla --spec <file>',
    flags: [SPEC],
    loadsModel: true,
    async run(env) {
      const spec = need(env, 'dla', 'spec');
      const file = await readSpec(spec, env.cwd);
      const r = await op(env, { op: 'dla', spec: file }, spec);
      const [L, H] = r.heads.dims;
      const human =
        table(['component', 'logit diff'], [...r.layers.labels.map((l, i) => [l, fmt(r.layers.values[i])]), ['b_U (+ ln_final bias)', fmt(r.biasTerm)], ['total', fmt(r.total)], ['actual', fmt(r.actual)]]) +
        '\n' +
        heatmap('per head (z @ W_O, without b_O)', 'layer', indexLabels(L, 'L'), indexLabels(H, 'H'), r.heads.values);
      return { json: r, human };
    },
  },
  {
    name: 'score-attribution',
    summary: "Split one head's attention score (query → key) over the upstream heads, MLPs and embeddings on the key or query side.",
    usage: 'circuit-explorer score-attribution --head L.H (--spec <file> | --prompt <text> --key <pos|token>) [--query -1] [--side key|query]',
    flags: [
      { name: 'head', type: 'string', value: 'L.H', help: 'the head whose score is split' },
      SPEC,
      PROMPT,
      { name: 'query', type: 'string', value: 'pos|token', help: 'query position: an index (negative from the end) or a token of the prompt (default -1)' },
      { name: 'key', type: 'string', value: 'pos|token', help: 'key position: an index or a token; with --spec, "answer" (the default) or "wrong" is each prompt\'s own' },
      { name: 'side', type: 'string', value: 'key|query', help: 'split the key-side residual with queries fixed (default), or the query side with keys fixed' },
      NO_BOS,
    ],
    loadsModel: true,
    async run(env) {
      const cmd = 'score-attribution';
      const side = env.flags.side as string | undefined;
      if (side !== undefined && side !== 'key' && side !== 'query') throw new UsageError(`${cmd}: --side must be key or query, got "${side}"`);
      const specPath = env.flags.spec as string | undefined;
      const prompt = env.flags.prompt as string | undefined;
      if ((specPath === undefined) === (prompt === undefined)) throw new UsageError(`${cmd}: give either --spec or --prompt`);
      const position = (name: string) => {
        const v = env.flags[name] as string | undefined;
        return v !== undefined && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
      };
      const req: Extract<OpRequest, { op: 'score-attribution' }> = {
        op: 'score-attribution',
        head: need(env, cmd, 'head'),
        side,
        prompt,
        spec: specPath !== undefined ? await readSpec(specPath, env.cwd) : undefined,
        prependBos: bos(env),
        query: position('query'),
        key: position('key'),
      };
      const r = await op(env, req, specPath);
      const [L, H1] = r.components.dims;
      const where = `L${r.layer}H${r.head}, ${tok(r.strTokens[r.queryPos])} (pos ${r.queryPos}) → ${tok(r.strTokens[r.keyPos])} (pos ${r.keyPos})${r.prompts > 1 ? `, mean of ${r.prompts} prompts` : ''}`;
      const misc: string[][] = [['W_E (embed)', fmt(r.embed)]];
      if (r.posEmbed !== null) misc.push(['W_pos (pos_embed)', fmt(r.posEmbed)]);
      misc.push(['b_O of earlier layers', fmt(r.attnBias)], [r.side === 'key' ? 'b_K · q (fixed query)' : 'b_Q · k (fixed key)', fmt(r.otherBias)]);
      const human =
        `attention score of ${where}, ${r.side} side (the ${r.side === 'key' ? 'query' : 'key'} fixed)\n` +
        table(['piece', 'score'], [...misc, ['total', fmt(r.total)], ['actual (hook_attn_scores)', fmt(r.actual)], ['attention probability', fmt(r.pattern)]]) +
        (L > 0 ? '\n' + heatmap('per earlier head (z @ W_O, without b_O) and MLP', 'layer', indexLabels(L, 'L'), [...indexLabels(H1 - 1, 'H'), 'MLP'], r.components.values) : '');
      return { json: r, human };
    },
  },
  {
    name: 'logit-lens',
    summary: 'Logit lens: the accumulated residual after each layer read through the unembedding.',
    usage: 'circuit-explorer logit-lens --prompt <text> [--pos -1] [--tokens " war"," love"] [--mode own-scale|final-scale]',
    flags: [
      PROMPT,
      { name: 'pos', type: 'integer', value: 'i', help: 'position (default -1, the last)' },
      { name: 'tokens', type: 'list', value: 'tok,…', help: 'tokens whose rank and probability to track' },
      { name: 'mode', type: 'string', value: 'own-scale|final-scale', help: "own-scale: each layer's own LayerNorm scale (default); final-scale: TL accumulated_resid(apply_ln=True)" },
      TOP_K,
      NO_BOS,
    ],
    loadsModel: true,
    async run(env) {
      const mode = env.flags.mode as string | undefined;
      if (mode !== undefined && mode !== 'own-scale' && mode !== 'final-scale') throw new UsageError(`logit-lens: --mode must be own-scale or final-scale, got "${mode}"`);
      const r = await op(env, { op: 'logit-lens', prompt: need(env, 'logit-lens', 'prompt'), pos: num(env, 'pos'), tokens: list(env, 'tokens'), mode, topK: num(env, 'top-k') ?? 5, prependBos: bos(env) });
      const tracked = Object.keys(r.layers[0]?.tracked ?? {});
      const rows = r.layers.map((l) => [l.label, ...tracked.map((t) => `#${l.tracked[t].rank} ${pct(l.tracked[t].prob)}`), l.top.map((t) => `${tok(t.token)} ${pct(t.prob)}`).join('  ')]);
      const human = `logit lens (${r.mode}) at position ${r.pos} (${tok(r.strTokens[r.pos])})\n` + table(['layer', ...tracked.map(tok), 'top'], rows);
      return { json: r, human };
    },
  },
  {
    name: 'ablate',
    summary: 'Ablate heads (zero, mean or resample their hook_z) and show where the per-token loss changes most.',
    usage: 'circuit-explorer ablate --heads L.H,… (--prompt <text> | --text-file <file>) [--mode zero|mean|resample]',
    flags: [
      { name: 'heads', type: 'list', value: 'L.H,…', help: 'heads to ablate' },
      PROMPT,
      { name: 'text-file', type: 'string', value: 'file', help: 'a text file (split into context-sized windows)' },
      { name: 'mode', type: 'string', value: 'zero|mean|resample', help: 'ablation (default zero)' },
      { name: 'seed', type: 'integer', value: 'n', help: 'seed of resample ablation (default 0)' },
      TOP_K,
    ],
    loadsModel: true,
    async run(env) {
      const heads = requireFlag<string[]>(env.flags, 'heads', 'ablate');
      const mode = env.flags.mode as string | undefined;
      if (mode !== undefined && !['zero', 'mean', 'resample'].includes(mode)) throw new UsageError(`ablate: --mode must be zero, mean or resample, got "${mode}"`);
      const prompt = env.flags.prompt as string | undefined;
      const textFile = env.flags['text-file'] as string | undefined;
      if ((prompt === undefined) === (textFile === undefined)) throw new UsageError('ablate: give exactly one of --prompt or --text-file');
      const r = await op(env, { op: 'ablate', heads, prompt, textFile, mode: mode as 'zero' | 'mean' | 'resample' | undefined, seed: num(env, 'seed'), topK: num(env, 'top-k') });
      const human =
        `ablating ${r.heads.join(', ')} (${r.mode}) over ${r.perToken.length} predicted tokens\n` +
        `loss clean ${fmt(r.lossClean)}  ablated ${fmt(r.lossAblated)}  change ${fmt(r.lossAblated - r.lossClean)}\n\n` +
        table(['pos', 'Δ loss', 'context [next]'], r.topTokens.map((t) => [String(t.pos), fmt(t.delta), tok(t.context)]));
      return { json: r, human };
    },
  },
  {
    name: 'heads',
    summary: 'Head detectors: previous-token, duplicate-token, induction (TL detect_head, "mul") and copying (OV eigenvalues).',
    usage: 'circuit-explorer heads [--detect induction,previous,duplicate,copying] [--seq-len 24] [--batch 12] [--seed 0]',
    flags: [
      { name: 'detect', type: 'list', value: 'name,…', help: 'detectors (default all): previous, duplicate, induction, copying' },
      { name: 'seq-len', type: 'integer', min: 1, value: 'n', help: 'random tokens per half of each repeated sequence (default 24)' },
      { name: 'batch', type: 'integer', min: 1, value: 'n', help: 'number of sequences (default 12)' },
      { name: 'seed', type: 'integer', value: 'n', help: 'seed of the random sequences (default 0)' },
    ],
    loadsModel: true,
    async run(env) {
      const r = await op(env, { op: 'heads', detect: list(env, 'detect'), seqLen: num(env, 'seq-len'), batch: num(env, 'batch'), seed: num(env, 'seed') });
      const [L, H] = r.dims;
      const human = Object.entries(r.scores).map(([name, v]) => heatmap(name, 'layer', indexLabels(L, 'L'), indexLabels(H, 'H'), v)).join('\n');
      return { json: r, human };
    },
  },
];
