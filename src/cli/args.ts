/**
 * Command-line flags: `--name value`, `--name=value`, `--flag` (boolean), lists as
 * comma-separated values or repeated flags. Every unknown flag is an error (exit 2) so
 * a typo never silently runs the default.
 */
import { UserError } from '../engine/errors';

export type FlagType = 'string' | 'number' | 'integer' | 'boolean' | 'list';

export interface FlagSpec {
  name: string;
  type: FlagType;
  help: string;
  /** Shown in help as the value's placeholder. */
  value?: string;
  /** 'integer': the smallest value allowed. */
  min?: number;
  /** 'string': "" is a value (a prompt), not a forgotten one (a file, a model). */
  allowEmpty?: boolean;
}

/** A bad command line: a UserError the CLI prints with the command's usage line. */
export class UsageError extends UserError {}

export type Flags = Record<string, string | number | boolean | string[] | undefined>;

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], command: string): Flags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`${command}: unexpected argument "${arg}" (options start with --)`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`${command}: unknown option --${name}`);
    if (spec.type === 'boolean') {
      if (eq >= 0) {
        const v = arg.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new UsageError(`${command}: --${name} takes no value (or =true/=false), got "${v}"`);
        out[name] = v === 'true';
      } else out[name] = true;
      continue;
    }
    if (name in out && spec.type !== 'list') throw new UsageError(`${command}: --${name} is given twice`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`${command}: --${name} needs a value`);
      // "--text --json": the value was forgotten; a value that only looks like an option ("--") is kept.
      const next = argv[i + 1];
      if (next.startsWith('--') && byName.has(next.slice(2).split('=')[0])) throw new UsageError(`${command}: --${name} needs a value (got the option ${next})`);
      value = argv[++i];
    }
    if (spec.type === 'number' || spec.type === 'integer') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${command}: --${name} must be a number, got "${value}"`);
      if (spec.type === 'integer' && !Number.isInteger(n)) throw new UsageError(`${command}: --${name} must be a whole number, got "${value}"`);
      if (spec.min !== undefined && n < spec.min) throw new UsageError(`${command}: --${name} must be at least ${spec.min}, got ${value}`);
      out[name] = n;
    } else if (spec.type === 'list') {
      const items = value.split(',').filter((s) => s.length > 0);
      // "--heads ," would otherwise run with nothing ablated (or, for --detect, everything).
      if (items.length === 0) throw new UsageError(`${command}: --${name} needs at least one value, got "${value}"`);
      out[name] = [...((out[name] as string[] | undefined) ?? []), ...items];
    } else {
      if (value === '' && !spec.allowEmpty) throw new UsageError(`${command}: --${name} is empty`);
      out[name] = value;
    }
  }
  return out;
}

export function requireFlag<T extends string | number | string[]>(flags: Flags, name: string, command: string): T {
  const v = flags[name];
  if (v === undefined) throw new UsageError(`${command}: --${name} is required`);
  return v as T;
}

/** Integer list from a list flag ("0,2"), naming the flag when an item is not an integer. */
export function intList(flags: Flags, name: string, command: string): number[] | undefined {
  const v = flags[name] as string[] | undefined;
  if (v === undefined) return undefined;
  return v.map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n)) throw new UsageError(`${command}: --${name} must be integers, got "${s}"`);
    return n;
  });
}

export function helpText(command: string, usage: string, summary: string, specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const left = `--${s.name}${s.type === 'boolean' ? '' : ` <${s.value ?? s.type}>`}`;
    return { left, help: s.help };
  });
  const w = Math.max(...rows.map((r) => r.left.length));
  return [`usage: ${usage}`, '', summary, '', 'options:', ...rows.map((r) => `  ${r.left.padEnd(w)}  ${r.help}`)].join('\n') + '\n';
}
