import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The model used when the user names none; also a bundled model name. */
export const DEFAULT_MODEL = 'circuit-demo-gpt2-3l';

/** Models shipped inside the package under models/. */
export const BUNDLED_MODELS: readonly string[] = [DEFAULT_MODEL];

let cachedRoot: string | undefined;

function isOurPackage(dir: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'circuit-explorer';
  } catch {
    return false;
  }
}

function walkUp(start: string): string | undefined {
  let dir = start;
  for (;;) {
    if (isOurPackage(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The folder holding circuit-explorer's package.json. Walks up from this file, so it
 * works from src/engine under tsx and from a dist/ bundle alike (both sit below the root).
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  // __dirname exists in the CJS output of esbuild and under tsx (the package is CJS).
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  const root = walkUp(here) ?? walkUp(process.cwd());
  if (!root) throw new Error(`cannot find the circuit-explorer package root above ${here}`);
  cachedRoot = root;
  return root;
}

export function bundledModelsDir(): string {
  return join(packageRoot(), 'models');
}

/** Folder of a bundled model, or undefined when `name` is not one. */
export function bundledModelDir(name: string): string | undefined {
  return BUNDLED_MODELS.includes(name) ? join(bundledModelsDir(), name) : undefined;
}
