/**
 * Write a random Hugging Face-format checkpoint for tests and the bench.
 *   npx tsx scripts/make-tiny.ts gpt2|gpt_neox|gpt2-small OUT_DIR [--seed N] [--dtype F32|F16|BF16] [--shards N]
 * `gpt2-small` is GPT-2 small's shape (12 layers, d 768, vocab 50257), random, in F16.
 */
import { makeTinyCheckpoint } from '../test/support/tinyCheckpoint';
import type { TinyCheckpointOptions } from '../test/support/tinyCheckpoint';

const [kind, out, ...rest] = process.argv.slice(2);
if (!kind || !out || !['gpt2', 'gpt_neox', 'neox', 'gpt2-small'].includes(kind)) {
  console.error('usage: npx tsx scripts/make-tiny.ts gpt2|gpt_neox|gpt2-small OUT_DIR [--seed N] [--dtype F32|F16|BF16] [--shards N]');
  process.exit(2);
}
const flag = (name: string) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
};
const opts: TinyCheckpointOptions = {
  arch: kind === 'gpt2' || kind === 'gpt2-small' ? 'gpt2' : 'gpt_neox',
  preset: kind === 'gpt2-small' ? 'gpt2-small' : undefined,
};
if (flag('seed')) opts.seed = Number(flag('seed'));
if (flag('dtype')) opts.dtype = flag('dtype') as TinyCheckpointOptions['dtype'];
if (flag('shards')) opts.shards = Number(flag('shards'));
const t0 = Date.now();
makeTinyCheckpoint(out, opts);
console.error(`wrote ${kind} checkpoint to ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
