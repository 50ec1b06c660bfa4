/**
 * Tokenizers, as TransformerLens uses them: BOS prepended by default, special tokens
 * kept when decoding, no clean-up of tokenization spaces (TL passes
 * `clean_up_tokenization_spaces=False` in `to_string` and `to_str_tokens`).
 *
 * A folder holds either `tokenizer.json` (Pythia, most Hub models; used as is) or
 * GPT-2's `vocab.json` + `merges.txt` (built into the equivalent tokenizer.json here).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { quoteTokens } from '../protocol/tokens';
import { UserError } from './errors';
import type { TokenizerLike } from './types';

export interface LoadTokenizerOptions {
  /** BOS token id from the model config (GPT-2 50256, Pythia 0). */
  bosTokenId: number;
}

/** GPT-2's only special token; also its BOS/EOS/UNK. */
const GPT2_ENDOFTEXT = '<|endoftext|>';

const cache = new Map<string, Promise<TokenizerLike>>();

/** Load (once per folder and BOS id) the tokenizer of a model folder. */
export function loadTokenizer(dir: string, opts: LoadTokenizerOptions): Promise<TokenizerLike> {
  const key = `${resolve(dir)}\u0000${opts.bosTokenId}`;
  let found = cache.get(key);
  if (!found) {
    found = buildTokenizer(dir, opts.bosTokenId);
    // A failed load (missing file) must not poison the cache: the user may fix the folder.
    found.catch(() => cache.delete(key));
    cache.set(key, found);
  }
  return found;
}

async function buildTokenizer(dir: string, bosTokenId: number): Promise<TokenizerLike> {
  const json = await readTokenizerJson(dir);
  // Config: only what changes behaviour; TL never cleans up tokenization spaces.
  const hf = new Tokenizer(json, { clean_up_tokenization_spaces: false });
  return new HfTokenizer(hf, bosTokenId);
}

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

async function readTokenizerJson(dir: string): Promise<object> {
  const tokenizerJson = join(dir, 'tokenizer.json');
  if (existsSync(tokenizerJson)) return (await readJson(tokenizerJson)) as object;
  const vocabFile = join(dir, 'vocab.json');
  const mergesFile = join(dir, 'merges.txt');
  if (existsSync(vocabFile) && existsSync(mergesFile)) {
    const vocab = (await readJson(vocabFile)) as Record<string, number>;
    const merges = await readFile(mergesFile, 'utf8');
    return gpt2TokenizerJson(vocab, merges);
  }
  throw new UserError(`no tokenizer in ${dir}: expected tokenizer.json, or vocab.json and merges.txt`);
}

/**
 * The tokenizer.json that Hugging Face's GPT2TokenizerFast builds from vocab.json and
 * merges.txt: byte-level BPE with GPT-2's split regex (the ByteLevel pre-tokenizer's own),
 * no prefix space, byte-level decoder, no tokens added by a post-processor, and
 * `<|endoftext|>` as an added special token so it is recognised inside text.
 */
export function gpt2TokenizerJson(vocab: Record<string, number>, mergesText: string): object {
  const merges = mergesText
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#version'));
  const endId = vocab[GPT2_ENDOFTEXT];
  const addedTokens =
    endId === undefined
      ? []
      : [{ id: endId, content: GPT2_ENDOFTEXT, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }];
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

class HfTokenizer implements TokenizerLike {
  readonly vocabSize: number;

  constructor(
    private readonly hf: Tokenizer,
    readonly bosTokenId: number,
  ) {
    let maxId = -1;
    for (const id of hf.get_vocab(true).values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    if (!Number.isInteger(bosTokenId) || bosTokenId < 0 || bosTokenId >= this.vocabSize) {
      throw new UserError(`BOS token id ${bosTokenId} is outside the tokenizer's vocabulary (size ${this.vocabSize})`);
    }
  }

  encode(text: string, opts?: { prependBos?: boolean }): number[] {
    // Never let a tokenizer.json post-processor add tokens: BOS is ours to add, as in TL.
    const ids = text.length === 0 ? [] : this.hf.encode(text, { add_special_tokens: false }).ids;
    return (opts?.prependBos ?? true) ? [this.bosTokenId, ...ids] : ids;
  }

  decode(ids: readonly number[]): string {
    for (const id of ids) this.checkId(id);
    // Ids past the tokenizer's vocabulary (Pythia pads d_vocab to 50304) decode to '', as
    // Hugging Face's fast tokenizers skip ids they have no token for.
    const known = ids.filter((id) => id < this.vocabSize);
    if (known.length === 0) return '';
    return this.hf.decode(known, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  strTokens(ids: readonly number[]): string[] {
    // Each id decoded alone, as `to_str_tokens`: a lone partial UTF-8 byte becomes U+FFFD.
    return ids.map((id) => this.decode([id]));
  }

  singleToken(text: string): number {
    const ids = this.encode(text, { prependBos: false });
    if (ids.length === 1) return ids[0];
    if (ids.length === 0) throw new UserError(`answer ${JSON.stringify(text)} is empty; give a single-token answer such as " Mary"`);
    throw new UserError(
      `answer ${JSON.stringify(text)} is ${ids.length} tokens ${quoteTokens(this.strTokens(ids))}; ` +
        `use a single-token answer or set "answerToken": "first"`,
    );
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0) {
      throw new UserError(`token id ${id} is not a valid token id (a non-negative integer)`);
    }
  }
}
