/**
 * How tokens are shown to users, everywhere (CLI tables, webviews, hovers, errors).
 * Whitespace is made visible because a token's leading space is part of its identity
 * (" Mary" and "Mary" are different tokens). Imports nothing.
 */

/** Visible whitespace: space → `·`, newline → `↩`, tab → `⇥`, carriage return → `␍`. */
export function displayToken(s: string): string {
  let out = '';
  for (const ch of s) {
    switch (ch) {
      case ' ':
        out += '·';
        break;
      case '\n':
        out += '↩';
        break;
      case '\t':
        out += '⇥';
        break;
      case '\r':
        out += '␍';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

/**
 * One label per position, `"<token> <index>"` as the seed notebooks label heatmap axes
 * (`f"{tok} {i}"`), with display tokens so that the labels are unique and readable:
 * `["<|endoftext|> 0", "When 1", "·John 2", …]`.
 */
export function positionLabels(strTokens: readonly string[]): string[] {
  return strTokens.map((tok, i) => `${displayToken(tok)} ${i}`);
}

/** A token list as error messages and logs show it: `["·John", "son"]`. */
export function quoteTokens(strTokens: readonly string[]): string {
  return `[${strTokens.map((s) => JSON.stringify(displayToken(s))).join(', ')}]`;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape text for HTML content and attribute values (tokens such as `<|endoftext|>`). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}
