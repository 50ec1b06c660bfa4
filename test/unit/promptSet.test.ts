import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadPromptSet } from '../../src/analysis/promptSet';
import { UserError } from '../../src/engine/errors';
import { loadTokenizer } from '../../src/engine/tokenizer';
import type { TokenizerLike } from '../../src/engine/types';
import type { PromptSetFile } from '../../src/protocol/ops';
import { SEED_001_IOI_STRINGS } from '../support/seedTokens';

const root = join(__dirname, '..', '..');
const DEMO = join(root, 'models', 'circuit-demo-gpt2-3l');
const N_CTX = 256;

/** Assert a UserError, on one line, whose message matches every pattern. */
function throwsUser(fn: () => unknown, ...patterns: (RegExp | string)[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected UserError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `message has several lines: ${err.message}`);
    for (const p of patterns) {
      if (typeof p === 'string') assert.ok(err.message.includes(p), `"${err.message}" lacks "${p}"`);
      else assert.match(err.message, p);
    }
    return true;
  });
}

describe('prompt sets', () => {
  let tok: TokenizerLike;
  before(async () => {
    tok = await loadTokenizer(DEMO, { bosTokenId: 50256 });
  });

  it('the demo IOI set is built as the IOI notebook builds its batch', () => {
    const set = loadPromptSet(join(DEMO, 'ioi.circuit.json'), tok, N_CTX, { requireCorrupted: true, requireAnswers: true });
    assert.equal(set.prompts.length, 8);
    // The notebook's format string leaves two spaces before the subject; the model card's
    // TransformerLens numbers (clean -0.3109) are for the single-spaced sentences, so the
    // demo set uses those. Everything else is the notebook's construction.
    const single = (s: string) => s.replace(',  ', ', ');
    assert.equal(tok.decode(set.cleanTokens[0]), single(SEED_001_IOI_STRINGS.clean));
    assert.equal(tok.decode(set.corruptedTokens![0]), single(SEED_001_IOI_STRINGS.corrupted));
    for (let i = 0; i < 8; i++) {
      const mate = i ^ 1;
      // Notebook: corrupted_tokens = clean_tokens[[1, 0, 3, 2, …]], answers = names[::±1].
      assert.deepEqual(set.corruptedTokens![i], set.cleanTokens[mate]);
      assert.equal(set.answerIds[i], set.wrongIds[mate]);
      // IOI: the subject (wrong) is named twice, the indirect object (answer) once.
      const count = (id: number) => set.cleanTokens[i].filter((t) => t === id).length;
      assert.equal(count(set.wrongIds[i]), 2, `prompt ${i}`);
      assert.equal(count(set.answerIds[i]), 1, `prompt ${i}`);
      assert.equal(tok.strTokens([set.answerIds[i]])[0], set.prompts[i].answer);
      assert.equal(set.cleanTokens[i].length, 15);
    }
    assert.equal(set.answerPos, 14);
    assert.equal(set.strTokens[0][2], ' John');
    assert.equal(set.strTokens[0][10], ' John'); // the repeated subject, right after the comma
  });

  for (const name of ['ioi.circuit.json', 'salt-pepper.circuit.json']) {
    it(`examples/${name} is a valid patching set`, () => {
      const set = loadPromptSet(join(root, 'examples', name), tok, N_CTX, { requireCorrupted: true, requireAnswers: true });
      assert.ok(set.prompts.length >= 2);
      for (let i = 0; i < set.prompts.length; i++) {
        assert.equal(tok.strTokens([set.answerIds[i]])[0], set.prompts[i].answer);
        assert.equal(tok.strTokens([set.wrongIds[i]])[0], set.prompts[i].wrong);
      }
    });
  }

  it('accepts an object and works without corrupted prompts or answers when not required', () => {
    const set = loadPromptSet({ prompts: [{ clean: 'Hello world' }] }, tok, N_CTX);
    assert.equal(set.corruptedTokens, null);
    assert.equal(set.answerIds.length, 0);
    assert.deepEqual(set.strTokens, [['<|endoftext|>', 'Hello', ' world']]);
    assert.equal(set.answerPos, 2);
    const noBos = loadPromptSet({ prependBos: false, prompts: [{ clean: 'Hello world' }] }, tok, N_CTX);
    assert.deepEqual(noBos.strTokens, [['Hello', ' world']]);
  });

  it('invalid JSON names the file and the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'promptset-'));
    const file = join(dir, 'bad.circuit.json');
    writeFileSync(file, '{\n  "prompts": [\n    { "clean": "a" ,, }\n  ]\n}\n');
    throwsUser(() => loadPromptSet(file, tok, N_CTX), file, 'line 3');
    throwsUser(() => loadPromptSet(join(dir, 'missing.circuit.json'), tok, N_CTX), 'missing.circuit.json');
  });

  it('missing or mistyped fields name the prompt index', () => {
    const bad = (prompts: unknown[]) => ({ prompts }) as PromptSetFile;
    throwsUser(() => loadPromptSet(bad([{ clean: 'a' }, { corrupted: 'b' }]), tok, N_CTX, { path: 'x.json' }), 'x.json', 'prompt 1', 'clean');
    throwsUser(() => loadPromptSet(bad([{ clean: 'a', answer: 3 }]), tok, N_CTX), 'prompt 0', 'answer');
    throwsUser(() => loadPromptSet(bad([{ clean: 'a b' }]), tok, N_CTX, { requireCorrupted: true }), 'prompt 0', 'corrupted');
    throwsUser(() => loadPromptSet(bad([{ clean: 'a b', answer: ' c' }, { clean: 'a d' }]), tok, N_CTX), 'prompt 1', 'answer');
    throwsUser(() => loadPromptSet(bad([]), tok, N_CTX), 'prompts');
    throwsUser(() => loadPromptSet({ answerToken: 'last', prompts: [{ clean: 'a' }] } as never, tok, N_CTX), 'answerToken');
  });

  it('a clean/corrupted pair of different lengths shows both token lists', () => {
    const spec: PromptSetFile = {
      prompts: [
        { clean: 'When Mary and John went out, John gave it to', corrupted: 'When Mary and John went out, Mary gave it to' },
        { clean: 'When Mary and John went out, John gave it to', corrupted: 'When Mary and Johnsonville went out, Mary gave it to' },
      ],
    };
    throwsUser(
      () => loadPromptSet(spec, tok, N_CTX),
      'prompt 1',
      '["<|endoftext|>", "When", "·Mary", "·and", "·John", "·went"',
      /corrupted \["<\|endoftext\|>", "When", "·Mary", "·and", "·Johnson", "ville"/,
    );
  });

  it('prompts of different lengths across the set are an error', () => {
    const spec: PromptSetFile = { prompts: [{ clean: 'one two three' }, { clean: 'one two' }] };
    throwsUser(() => loadPromptSet(spec, tok, N_CTX), 'prompt 1 is 3 tokens but prompt 0 is 4', '"·two"');
  });

  it('a multi-token answer is an error unless answerToken is "first"', () => {
    const spec: PromptSetFile = { prompts: [{ clean: 'It was', answer: ' Johnsonville', wrong: ' Mary' }] };
    throwsUser(() => loadPromptSet(spec, tok, N_CTX), 'prompt 0', 'answer " Johnsonville" is 2 tokens ["·Johnson", "ville"]', '"answerToken": "first"');
    const wrong: PromptSetFile = { prompts: [{ clean: 'It was', answer: ' Mary', wrong: ' Johnsonville' }] };
    throwsUser(() => loadPromptSet(wrong, tok, N_CTX), 'prompt 0', 'wrong " Johnsonville"');
    const first = loadPromptSet({ ...spec, answerToken: 'first' }, tok, N_CTX);
    assert.deepEqual(tok.strTokens([first.answerIds[0]]), [' Johnson']);
    assert.deepEqual(tok.strTokens([first.wrongIds[0]]), [' Mary']);
  });

  it('answer and wrong must differ', () => {
    throwsUser(() => loadPromptSet({ prompts: [{ clean: 'a', answer: ' b', wrong: ' b' }] }, tok, N_CTX), 'same token');
  });

  it('a prompt longer than the context names the prompt and its length', () => {
    const spec: PromptSetFile = { prompts: [{ clean: 'a b' }, { clean: ' x'.repeat(10).trim() }] };
    throwsUser(() => loadPromptSet(spec, tok, 8), 'prompt 1 is 11 tokens', 'context of 8');
  });
});
