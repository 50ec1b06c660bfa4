// The offset-keeping JSON parser (src/extension/jsonLocate.ts), checked against JSON.parse:
// the same values, every node's source span parses back to its value, each decoded string
// character maps to its own source text, and JSON.parse's rejects are rejected too.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { member, parseJsonTree, promptStringAt, type JsonNode } from '../../src/extension/jsonLocate';

const SAMPLES = [
  '{}',
  '[]',
  ' \t\r\n{ "a" : [1, -2.5, 3e2, -0.25E-3, true, false, null] }\r\n',
  '{"prompts":[{"clean":"When John and Mary","answer":" Mary"}],"prependBos":false}',
  '{"esc": "tab\\tnl\\nq\\"bs\\\\sl\\/uni\\u00e9\\u20ACsur\\ud83d\\ude00 lit 😀 é"}',
  '{"nested": {"deep": [[[{"x": ""}]]]}, "": 0, "dup": 1, "dup": 2}',
  '{"__proto__": {"polluted": true}, "n": 0}',
];

function walk(n: JsonNode, f: (n: JsonNode) => void): void {
  f(n);
  n.children?.forEach((c) => walk(c, f));
}

test('values equal JSON.parse on valid documents', () => {
  for (const text of SAMPLES) assert.deepEqual(parseJsonTree(text).value, JSON.parse(text), text);
  // No prototype pollution through a "__proto__" key.
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("every node's source span parses (with JSON.parse) to the node's value", () => {
  for (const text of SAMPLES) {
    walk(parseJsonTree(text), (n) => {
      const src = text.slice(n.offset, n.offset + n.length);
      assert.deepEqual(JSON.parse(src), n.value, `${n.type} at ${n.offset} in ${text}`);
    });
  }
});

test("a string's charOffsets map each decoded character to its own source text", () => {
  for (const text of SAMPLES) {
    walk(parseJsonTree(text), (n) => {
      if (n.type !== 'string') return;
      const s = n.value as string;
      const offs = n.charOffsets!;
      assert.equal(offs.length, s.length + 1);
      assert.equal(offs[0], n.offset + 1, 'first character follows the opening quote');
      assert.equal(offs[s.length], n.offset + n.length - 1, 'the end is the closing quote');
      for (let k = 0; k < s.length; k++) {
        const piece = text.slice(offs[k], offs[k + 1]);
        assert.equal(JSON.parse(`"${piece}"`), s[k], `character ${k} of ${JSON.stringify(s)} from ${JSON.stringify(piece)}`);
      }
    });
  }
});

test('rejects what JSON.parse rejects, with the offset in a one-line message', () => {
  const bad = ['', '{', '{"a":1,}', '[1 2]', '{"a" 1}', '{a: 1}', '"unterminated', '[01]', '[1.]', '[.5]', '[+1]', 'tru', '[true]x',
    '"bad \\q escape"', '"bad \\u12G4"', '"raw\nnewline"', '\u00a0{}', "{'a': 1}", '[1]]', 'NaN'];
  for (const text of bad) {
    assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse accepts ${JSON.stringify(text)}?`);
    assert.throws(() => parseJsonTree(text), (e: Error) => /^invalid JSON at offset \d+: /.test(e.message) && !e.message.includes('\n'), JSON.stringify(text));
  }
});

test('member finds object members only', () => {
  const root = parseJsonTree('{"a": {"b": 1}, "arr": [{"b": 2}]}');
  assert.equal(member(member(root, 'a'), 'b')?.value, 1);
  assert.equal(member(root, 'missing'), undefined);
  assert.equal(member(member(root, 'arr'), 'b'), undefined);
  assert.equal(member(undefined, 'a'), undefined);
});

test('promptStringAt: the prompt, field and character under every offset of a prompt string', () => {
  const text = '{\n  "name": "not a prompt",\n  "prompts": [\n    {"clean": "When J\\u00f6hn", "answer": " Mary"},\n    {\n      "clean": "ab\\ncd",\n      "wrong": "x"\n    }\n  ]\n}\n';
  const expected = JSON.parse(text) as { prompts: Record<string, string>[] };
  const root = parseJsonTree(text);
  let hits = 0;
  for (let off = 0; off <= text.length; off++) {
    const at = promptStringAt(root, off);
    if (!at) continue;
    hits++;
    const s = expected.prompts[at.index][at.field];
    assert.equal(at.node.value, s);
    assert.ok(at.charIndex >= 0 && at.charIndex <= s.length);
    // The offset lies inside the source of the character it reports (or at the closing quote).
    const offs = at.node.charOffsets!;
    assert.ok(offs[at.charIndex] <= off && (at.charIndex === s.length || off < offs[at.charIndex + 1]), `offset ${off}`);
  }
  // Every character of the four prompt strings is reachable; nothing outside "prompts" is.
  const chars = expected.prompts.flatMap((p) => Object.values(p)).reduce((n, s) => n + s.length, 0);
  assert.ok(hits >= chars, `${hits} hits for ${chars} characters`);
  assert.equal(promptStringAt(root, text.indexOf('not a prompt')), undefined);
  assert.equal(promptStringAt(parseJsonTree('[1]'), 1), undefined);
});
