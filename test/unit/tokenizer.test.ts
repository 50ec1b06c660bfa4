import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { UserError } from '../../src/engine/errors';
import { loadTokenizer } from '../../src/engine/tokenizer';
import type { TokenizerLike } from '../../src/engine/types';
import { displayToken, escapeHtml, positionLabels } from '../../src/protocol/tokens';
import {
  SEED_001_IOI_STRINGS,
  SEED_002_IDS,
  SEED_003_ANSWER_IDS,
  SEED_003_PROMPTS_OF_22,
  SEED_SINGLE_TOKEN_ANSWERS,
  SEED_TOKEN_CASES,
} from '../support/seedTokens';

const root = join(__dirname, '..', '..');
// GPT-2's vocab.json + merges.txt ship with the demo model; the NeoX tokenizer.json is a fixture.
const GPT2_DIR = join(root, 'models', 'circuit-demo-gpt2-3l');
const NEOX_DIR = join(root, 'test', 'fixtures', 'neox-20b');

describe('tokenizer', () => {
  const tok: Record<'gpt2' | 'neox', TokenizerLike> = {} as never;

  before(async () => {
    tok.gpt2 = await loadTokenizer(GPT2_DIR, { bosTokenId: 50256 });
    tok.neox = await loadTokenizer(NEOX_DIR, { bosTokenId: 0 });
  });

  for (const c of SEED_TOKEN_CASES) {
    it(`tokenizes as the seed notebook printed: ${c.seed}`, () => {
      const t = tok[c.tokenizer];
      const ids = t.encode(c.text, { prependBos: c.prependBos });
      assert.deepEqual(t.strTokens(ids), c.strTokens);
      assert.equal(t.decode(ids), c.prependBos ? '<|endoftext|>' + c.text : c.text);
    });
  }

  it('answers the seeds printed as one token are one token', () => {
    for (const a of SEED_SINGLE_TOKEN_ANSWERS) {
      const t = tok[a.tokenizer];
      const id = t.singleToken(a.answer);
      assert.deepEqual(t.strTokens([id]), [a.answer], `seed ${a.seed}`);
    }
  });

  it('gives the ids the Pythia seeds printed', () => {
    assert.deepEqual(tok.neox.strTokens(SEED_002_IDS.ids), SEED_002_IDS.strTokens);
    assert.equal(tok.neox.decode(SEED_002_IDS.ids), SEED_002_IDS.text);
    assert.equal(tok.neox.singleToken(' ex'), SEED_003_ANSWER_IDS[' ex']);
    assert.equal(tok.neox.singleToken(' end'), SEED_003_ANSWER_IDS[' end']);
    for (const p of SEED_003_PROMPTS_OF_22) assert.equal(tok.neox.encode(p).length, 22, p);
  });

  it('formats the IOI prompts of seed 001 as the notebook did (double space kept)', () => {
    const template = 'When John and Mary went to the shops, {} gave the bag to';
    for (const [name, expected] of [
      [' John', SEED_001_IOI_STRINGS.clean],
      [' Mary', SEED_001_IOI_STRINGS.corrupted],
    ]) {
      const ids = tok.gpt2.encode(template.replace('{}', name));
      assert.equal(tok.gpt2.decode(ids), expected);
    }
  });

  it('prepends BOS by default and only when asked', () => {
    for (const [name, t, bos] of [['gpt2', tok.gpt2, 50256], ['neox', tok.neox, 0]] as const) {
      const withBos = t.encode('Hello world');
      const without = t.encode('Hello world', { prependBos: false });
      assert.equal(withBos[0], bos, name);
      assert.equal(t.bosTokenId, bos, name);
      assert.deepEqual(withBos.slice(1), without, name);
      assert.notEqual(without[0], bos, name);
      assert.deepEqual(t.encode(''), [bos], name);
      assert.deepEqual(t.encode('', { prependBos: false }), [], name);
    }
  });

  it('reads "<|endoftext|>" inside text as the special token', () => {
    assert.deepEqual(tok.gpt2.encode('a<|endoftext|>b', { prependBos: false }), [
      tok.gpt2.singleToken('a'),
      50256,
      tok.gpt2.singleToken('b'),
    ]);
  });

  it('round-trips text through encode and decode', () => {
    const texts = [
      'Tabs\tand\nnewlines\n\n  and  spaces   ',
      'Ünïcödé — “quotes”, emoji 😀 and 中文.',
      "It's 3.14; don't panic!",
    ];
    for (const t of [tok.gpt2, tok.neox]) {
      for (const text of texts) assert.equal(t.decode(t.encode(text, { prependBos: false })), text);
    }
  });

  it('strTokens of special, newline and partial-UTF-8 tokens', () => {
    const g = tok.gpt2;
    assert.deepEqual(g.strTokens([50256]), ['<|endoftext|>']);
    assert.deepEqual(g.strTokens(g.encode('a\nb', { prependBos: false })), ['a', '\n', 'b']);
    // GPT-2 has "\n\n" as one token (id 628): it is used before more whitespace or at the end.
    assert.deepEqual(g.strTokens([628]), ['\n\n']);
    // An emoji is 4 UTF-8 bytes split over byte-level tokens; each alone is not valid
    // UTF-8, so each decodes to the replacement character (HF decode, errors="replace").
    const emoji = g.encode('😀', { prependBos: false });
    assert.ok(emoji.length > 1);
    for (const s of g.strTokens(emoji)) assert.equal(s, '\uFFFD');
    assert.equal(g.decode(emoji), '😀');
    assert.deepEqual(tok.neox.strTokens([0]), ['<|endoftext|>']);
  });

  it('vocabulary sizes are those of the tokenizers', () => {
    assert.equal(tok.gpt2.vocabSize, 50257);
    // Pythia's model pads d_vocab past the tokenizer; those ids decode to nothing, as in HF.
    assert.ok(tok.neox.vocabSize >= 50277 && tok.neox.vocabSize < 50304);
    assert.equal(tok.neox.decode([50303]), '');
  });

  it('a multi-token answer is a one-line UserError showing its tokens', () => {
    assert.throws(
      () => tok.gpt2.singleToken(' Johnsonville'),
      (err: unknown) => {
        assert.ok(err instanceof UserError);
        assert.equal(err.name, 'UserError');
        assert.ok(!err.message.includes('\n'));
        const strs = tok.gpt2.strTokens(tok.gpt2.encode(' Johnsonville', { prependBos: false }));
        assert.equal(
          err.message,
          `answer " Johnsonville" is ${strs.length} tokens [${strs.map((s) => `"${s.replace(/ /g, '·')}"`).join(', ')}]; ` +
            'use a single-token answer or set "answerToken": "first"',
        );
        assert.ok(err.message.includes('"·Johnson'));
        return true;
      },
    );
    assert.throws(() => tok.gpt2.singleToken(''), UserError);
  });

  it('caches one tokenizer per folder', async () => {
    assert.equal(await loadTokenizer(GPT2_DIR, { bosTokenId: 50256 }), tok.gpt2);
  });

  it('a folder without tokenizer files is a UserError naming it', async () => {
    await assert.rejects(loadTokenizer(join(root, 'test', 'fixtures'), { bosTokenId: 0 }), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, /fixtures/);
      return true;
    });
  });
});

describe('token display', () => {
  it('makes whitespace visible', () => {
    assert.equal(displayToken(' Mary'), '·Mary');
    assert.equal(displayToken('\n\n'), '↩↩');
    assert.equal(displayToken('\tx  '), '⇥x··');
    assert.equal(displayToken('<|endoftext|>'), '<|endoftext|>');
  });

  it('labels positions "<token> <i>" as the seeds do', () => {
    assert.deepEqual(positionLabels(['<|endoftext|>', 'When', ' John', '\n']), [
      '<|endoftext|> 0',
      'When 1',
      '·John 2',
      '↩ 3',
    ]);
  });

  it('escapes HTML', () => {
    assert.equal(escapeHtml(`<|endoftext|> & "a" 'b'`), '&lt;|endoftext|&gt; &amp; &quot;a&quot; &#39;b&#39;');
  });
});
