// Editing *.circuit.json prompt sets as text (src/extension/promptSetFile.ts): adding,
// replacing or removing a prompt changes only that prompt's span, in the file's own layout,
// and the result is the expected JSON (checked with JSON.parse). Bad files are a one-line
// error naming the file.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../src/engine/errors';
import { appendPromptEdit, applyEdit, parsePromptSet, removePromptEdit, replacePromptEdit, type PromptEntry } from '../../src/extension/promptSetFile';

const P = (n: number): PromptEntry => ({ clean: `When John and Mary ${n}`, corrupted: `When Tom and Mary ${n}`, answer: ' Mary', wrong: ' John' });
const NEW: PromptEntry = { clean: 'Then "Ünïcødé" \\ went', corrupted: 'Then x went', answer: ' to', wrong: ' from' };

const multiline = `{
  "name": "IOI",
  "model": "circuit-demo-gpt2-3l",
  "prependBos": true,
  "prompts": [
${[1, 2, 3].map((n) => `    {
      "clean": "${P(n).clean}",
      "corrupted": "${P(n).corrupted}",
      "answer": " Mary",
      "wrong": " John"
    }`).join(',\n')}
  ],
  "answerToken": "first"
}
`;
const LAYOUTS: Record<string, string> = {
  multiline,
  crlf: multiline.replace(/\n/g, '\r\n'),
  tabs: multiline.replace(/^( +)/gm, (s) => '\t'.repeat(s.length / 2)),
  oneLinePrompts: `{\n  "prompts": [\n${[1, 2, 3].map((n) => `    { "clean": "${P(n).clean}", "answer": " Mary" }`).join(',\n')}\n  ]\n}\n`,
  compact: JSON.stringify({ name: 'c', prompts: [1, 2, 3].map(P) }),
};

/** Lengths of the longest common prefix and suffix (not overlapping) of a and b. */
function commonEnds(a: string, b: string): { prefix: number; suffix: number } {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  return { prefix, suffix };
}

/** The byte range of prompt i in the original, found by searching for its clean text. */
function spanOfPrompt(text: string, clean: string): { from: number; to: number } {
  const at = text.indexOf(JSON.stringify(clean));
  return { from: text.lastIndexOf('{', at), to: text.indexOf('}', at) + 1 };
}

function checkLineEndings(name: string, before: string, after: string): void {
  if (before.includes('\r\n')) assert.ok(!/[^\r]\n/.test(after), `${name}: an LF was mixed into a CRLF file`);
  else assert.ok(!after.includes('\r'), `${name}: a CR appeared`);
}

test('adding a prompt inserts it after the last one and changes nothing else', () => {
  for (const [name, text] of Object.entries(LAYOUTS)) {
    const after = applyEdit(text, appendPromptEdit(text, NEW));
    const before = JSON.parse(text);
    assert.deepEqual(JSON.parse(after), { ...before, prompts: [...before.prompts, NEW] }, name);
    const { prefix, suffix } = commonEnds(text, after);
    assert.equal(prefix + suffix, text.length, `${name}: the original text is kept whole around one insertion`);
    assert.ok(prefix >= spanOfPrompt(text, P(3).clean).to, `${name}: the insertion comes after the last prompt`);
    checkLineEndings(name, text, after);
    // Same layout as its neighbours: one line each when they are, several lines when they are.
    const newlines = (s: string) => s.split('\n').length - 1;
    const last = spanOfPrompt(text, P(3).clean);
    const between = text.slice(spanOfPrompt(text, P(2).clean).to, last.from);
    assert.equal(newlines(after) - newlines(text), newlines(text.slice(last.from, last.to)) + newlines(between), name);
  }
});

test('adding to an empty prompts array gives a valid set with one prompt', () => {
  for (const text of ['{"prompts": []}', '{\n  "name": "x",\n  "prompts": [ ]\n}\n']) {
    const after = applyEdit(text, appendPromptEdit(text, NEW));
    assert.deepEqual(JSON.parse(after).prompts, [NEW]);
    assert.equal(JSON.parse(after).name, JSON.parse(text).name);
  }
});

test('editing a prompt replaces only that prompt\'s span', () => {
  for (const [name, text] of Object.entries(LAYOUTS)) {
    for (const i of [0, 1, 2]) {
      const after = applyEdit(text, replacePromptEdit(text, i, NEW));
      const expected = JSON.parse(text);
      expected.prompts[i] = { ...NEW };
      assert.deepEqual(JSON.parse(after), expected, `${name} #${i}`);
      const span = spanOfPrompt(text, P(i + 1).clean);
      const { prefix, suffix } = commonEnds(text, after);
      assert.ok(prefix >= span.from && text.length - suffix <= span.to, `${name} #${i}: changed outside the prompt (${prefix}, ${suffix}, ${span.from}-${span.to})`);
      checkLineEndings(name, text, after);
    }
  }
});

test('removing a prompt (first, middle, last, only) removes one contiguous range and leaves valid JSON', () => {
  for (const [name, text] of Object.entries(LAYOUTS)) {
    for (const i of [0, 1, 2]) {
      const after = applyEdit(text, removePromptEdit(text, i));
      const expected = JSON.parse(text);
      expected.prompts.splice(i, 1);
      assert.deepEqual(JSON.parse(after), expected, `${name} #${i}`);
      const { prefix, suffix } = commonEnds(text, after);
      assert.equal(prefix + suffix, after.length, `${name} #${i}: the rest of the file is kept byte for byte`);
    }
    let t = text;
    for (let k = 0; k < 3; k++) t = applyEdit(t, removePromptEdit(t, 0));
    assert.deepEqual(JSON.parse(t).prompts, [], `${name}: removing every prompt`);
  }
});

test('parsePromptSet reads a valid set like JSON.parse', () => {
  for (const text of Object.values(LAYOUTS)) assert.deepEqual(parsePromptSet(text, 'x.circuit.json'), JSON.parse(text));
});

test('a malformed prompt set is a one-line UserError naming the file', () => {
  const file = 'sets/bad.circuit.json';
  const bad = ['{"prompts": [', '[]', '{"name": "no prompts"}', '{"prompts": {}}', '{"prompts": [{"corrupted": "x"}]}', '{"prompts": ["text"]}',
    '{"prompts": [{"clean": "a", "answer": 3}]}', '{"prompts": [{"clean": "a"}],}', ''];
  const check = (e: unknown) => e instanceof UserError && e.message.startsWith(`${file}: `) && !e.message.includes('\n');
  for (const text of bad) assert.throws(() => parsePromptSet(text, file), check, text);
  // The edits name the file too, and refuse a prompt index that does not exist.
  for (const text of ['{"prompts": [', '{"name": 1}']) {
    assert.throws(() => appendPromptEdit(text, NEW, file), check, text);
    assert.throws(() => replacePromptEdit(text, 0, NEW, file), check, text);
    assert.throws(() => removePromptEdit(text, 0, file), check, text);
  }
  assert.throws(() => replacePromptEdit(multiline, 3, NEW, file), (e: unknown) => e instanceof UserError && e.message === `${file} has no prompt 3`);
  assert.throws(() => removePromptEdit(multiline, -1, file), (e: unknown) => e instanceof UserError && e.message.includes(file));
});
