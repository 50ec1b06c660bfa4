/**
 * A small JSON parser that keeps source offsets, so the extension can find a prompt's
 * string in a `*.circuit.json` (hover, tree → editor) and edit one prompt in place
 * without reformatting the rest of the file. Accepts strict JSON only.
 */

export interface JsonNode {
  type: 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';
  /** Offset of the value's first character and its length in the source text. */
  offset: number;
  length: number;
  value?: unknown;
  /** Object members (with `key`) or array elements. */
  children?: JsonNode[];
  key?: string;
  /** For strings: source offset of each decoded character (UTF-16 units), plus one past the end. */
  charOffsets?: number[];
}

export function parseJsonTree(text: string): JsonNode {
  let i = 0;
  const ws = () => {
    // JSON's four whitespace characters only (\s would also take U+00A0 and friends).
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`invalid JSON at offset ${i}: ${what}`);
  };
  const str = (): JsonNode => {
    const start = i++;
    let out = '';
    const offs: number[] = [];
    while (i < text.length && text[i] !== '"') {
      offs.push(i);
      if (text[i] === '\\') {
        const c = text[i + 1];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };
        if (c === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else if (c in simple) {
          out += simple[c];
          i += 2;
        } else fail('bad escape');
      } else if (text.charCodeAt(i) < 0x20) fail('control character in string');
      else out += text[i++];
    }
    if (text[i] !== '"') fail('unterminated string');
    offs.push(i);
    i++;
    return { type: 'string', offset: start, length: i - start, value: out, charOffsets: offs };
  };
  const value = (): JsonNode => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '"') return str();
    if (c === '{' || c === '[') {
      const isObj = c === '{';
      const close = isObj ? '}' : ']';
      i++;
      const children: JsonNode[] = [];
      ws();
      if (text[i] === close) i++;
      else {
        for (;;) {
          let key: string | undefined;
          if (isObj) {
            ws();
            if (text[i] !== '"') fail('expected a key');
            key = str().value as string;
            ws();
            if (text[i++] !== ':') fail('expected ":"');
          }
          const v = value();
          if (key !== undefined) v.key = key;
          children.push(v);
          ws();
          if (text[i] === ',') { i++; continue; }
          if (text[i] === close) { i++; break; }
          fail(`expected "," or "${close}"`);
        }
      }
      const node: JsonNode = { type: isObj ? 'object' : 'array', offset: start, length: i - start, children };
      node.value = isObj ? Object.fromEntries(children.map((ch) => [ch.key, ch.value])) : children.map((ch) => ch.value);
      return node;
    }
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail('unexpected character');
    i += m![0].length;
    const v = JSON.parse(m![0]) as unknown;
    return { type: v === null ? 'null' : (typeof v as 'number' | 'boolean'), offset: start, length: i - start, value: v };
  };
  const root = value();
  ws();
  if (i < text.length) fail('trailing characters');
  return root;
}

export function member(node: JsonNode | undefined, key: string): JsonNode | undefined {
  return node?.type === 'object' ? node.children!.find((c) => c.key === key) : undefined;
}

/** The string value of a prompt (`prompts[i].clean|corrupted|…`) containing `offset`, if any. */
export function promptStringAt(root: JsonNode, offset: number): { index: number; field: string; node: JsonNode; charIndex: number } | undefined {
  const prompts = member(root, 'prompts');
  if (prompts?.type !== 'array') return undefined;
  for (const [index, p] of prompts.children!.entries()) {
    if (offset < p.offset || offset > p.offset + p.length) continue;
    for (const f of p.children ?? []) {
      if (f.type !== 'string' || offset <= f.offset || offset >= f.offset + f.length) continue;
      const offs = f.charOffsets!;
      let charIndex = 0;
      while (charIndex + 1 < offs.length && offs[charIndex + 1] <= offset) charIndex++;
      return { index, field: f.key!, node: f, charIndex };
    }
  }
  return undefined;
}
