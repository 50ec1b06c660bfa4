/**
 * The headless CLI (CONTRACTS §1): `node dist/cli.js <command> [options]`.
 * stdout carries the result only (one JSON document with --json); progress and logs go
 * to stderr. Exit codes: 0 ok, 2 bad input (one line `error: …`), 1 internal failure.
 * `main(argv, io)` is exported so tests run commands in-process.
 */
import { UserError } from '../engine/errors';
import { loadModel } from '../engine/load';
import { DEFAULT_MODEL } from '../engine/paths';
import type { Model } from '../engine/types';
import type { DeviceSetting } from '../protocol/rpc';
import { helpText, parseFlags, UsageError, type Flags, type FlagSpec } from './args';
import { COMMANDS, type Command, type CommandEnv } from './commands';
import { extraCommands } from './extra';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Keep loaded models between calls of main() in one process (tests). */
  reuseModels?: boolean;
}

const COMMON_FLAGS: FlagSpec[] = [
  { name: 'model', type: 'string', value: 'folder|hub id|name', help: `model to load (default: bundled ${DEFAULT_MODEL})` },
  { name: 'json', type: 'boolean', help: 'print one JSON document on stdout and nothing else' },
  { name: 'device', type: 'string', value: 'auto|cpu|cuda|dml|coreml|webgpu', help: 'execution provider (default auto)' },
  { name: 'no-fold-ln', type: 'boolean', help: 'keep LayerNorm weights unfolded' },
  { name: 'no-center-writing-weights', type: 'boolean', help: 'do not centre weights writing to the residual stream' },
  { name: 'no-center-unembed', type: 'boolean', help: 'do not centre W_U and b_U over the vocabulary' },
  { name: 'no-fold-value-biases', type: 'boolean', help: 'keep b_V (do not fold it into b_O)' },
  { name: 'hub-url', type: 'string', value: 'url', help: 'Hugging Face Hub base URL (mirrors)' },
  { name: 'help', type: 'boolean', help: 'show this help' },
];

const ALL: Command[] = [...COMMANDS, ...extraCommands];
const USAGE = `usage: circuit-explorer <${ALL.map((c) => c.name).join('|')}> [options] (--help for a command's options)`;

const loaded = new Map<string, Promise<Model>>();

function modelLoader(flags: Flags, io: CliIo, log: (s: string) => void): () => Promise<Model> {
  let mine: Promise<Model> | undefined;
  const params = {
    model: (flags.model as string | undefined) ?? DEFAULT_MODEL,
    device: flags.device as DeviceSetting | undefined,
    processing: {
      foldLn: !flags['no-fold-ln'],
      centerWritingWeights: !flags['no-center-writing-weights'],
      centerUnembed: !flags['no-center-unembed'],
      foldValueBiases: !flags['no-fold-value-biases'],
    },
    hubBaseUrl: flags['hub-url'] as string | undefined,
    cwd: io.cwd,
  };
  const key = JSON.stringify(params);
  return () => {
    const shared = io.reuseModels ? loaded.get(key) : undefined;
    if (shared) return shared;
    if (mine) return mine;
    const p = loadModel({ ...params, onProgress: (message: string) => log(message) });
    mine = p;
    if (io.reuseModels) {
      loaded.set(key, p);
      p.catch(() => loaded.delete(key));
    }
    return p;
  };
}

/** Progress on stderr at most once a second (and the last step), so a sweep of many small chunks stays readable. */
function throttledProgress(log: (line: string) => void): (p: { done: number; total: number; message?: string }) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.done < p.total && now - last < 1000) return;
    last = now;
    log(p.total > 0 ? `${p.message ?? 'progress'} ${p.done}/${p.total}` : p.message ?? 'working');
  };
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(`${USAGE}\n\n${ALL.map((c) => `  ${c.name.padEnd(Math.max(...ALL.map((x) => x.name.length)))}  ${c.summary}`).join('\n')}\n`);
    return name === undefined ? 2 : 0;
  }
  const cmd = ALL.find((c) => c.name === name);
  if (!cmd) {
    io.stderr(`error: unknown command "${name}"\n${USAGE}\n`);
    return 2;
  }
  const specs = [...cmd.flags, ...(cmd.loadsModel ? COMMON_FLAGS : COMMON_FLAGS.filter((f) => f.name === 'json' || f.name === 'help'))];
  let model: Promise<Model> | undefined;
  try {
    const flags = parseFlags(rest, specs, cmd.name);
    if (flags.help) {
      io.stdout(helpText(cmd.name, cmd.usage, cmd.summary, specs));
      return 0;
    }
    const log = (line: string) => io.stderr(`${line}\n`);
    const load = modelLoader(flags, io, log);
    const env: CommandEnv = {
      flags,
      cwd: io.cwd ?? process.cwd(),
      model: () => (model = load()),
      log,
      progress: throttledProgress(log),
    };
    const { json, human } = await cmd.run(env);
    if (flags.json && model && json && typeof json === 'object' && !('engine' in json)) {
      // Extension of CONTRACTS §1: every model-backed document says what produced it.
      const m = await model;
      (json as Record<string, unknown>).engine = { model: m.id, source: m.source, device: m.device };
    }
    io.stdout(flags.json ? `${JSON.stringify(json)}\n` : human);
    return 0;
  } catch (err) {
    if (err instanceof UserError) {
      io.stderr(`error: ${err.message.split('\n')[0]}\n`);
      if (err instanceof UsageError) io.stderr(`usage: ${cmd.usage}\n`);
      return 2;
    }
    const e = err as Error;
    io.stderr(`error: internal: ${e?.message ?? String(err)}\n${process.env.CIRCUIT_EXPLORER_DEBUG ? `${e?.stack}\n` : ''}`);
    return 1;
  } finally {
    if (model && !io.reuseModels) await model.then((m) => m.dispose()).catch(() => undefined);
  }
}

function processIo(): CliIo {
  return { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s), cwd: process.cwd(), env: process.env };
}

// Run when executed (node dist/cli.js, tsx src/cli/main.ts), not when imported by tests.
if (typeof require !== 'undefined' && require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`error: internal: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
