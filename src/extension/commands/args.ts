/** Command arguments: an object of options (tests, other commands) or a tree node (context menus). */
import { UserError } from '../../engine/errors';

export function argsOf<T extends object>(x: unknown): Partial<T> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Partial<T>) : {};
}

/** "9.6, 9.9" or ["9.6","9.9"] → ["9.6","9.9"]; throws a one-line error naming a bad head. */
export function parseHeads(input: string | string[], what = 'head'): string[] {
  const list = (Array.isArray(input) ? input : input.split(/[,\s]+/)).map((h) => h.trim()).filter(Boolean);
  if (list.length === 0) throw new UserError(`no ${what} given: write layer.head, e.g. 9.6,9.9`);
  for (const h of list) if (!/^\d+\.\d+$/.test(h)) throw new UserError(`"${h}" is not a ${what}: write layer.head, e.g. 9.6`);
  return list;
}

/** Exactly one head, "9.6"; a list or a malformed head is a one-line error. */
export function parseOneHead(input: string, what = 'head'): string {
  const list = parseHeads(input, what);
  if (list.length !== 1) throw new UserError(`give one ${what}, not ${list.length}: write layer.head, e.g. 9.6`);
  return list[0];
}
