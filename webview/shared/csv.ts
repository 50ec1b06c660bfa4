/**
 * CSV export. Fields are quoted when they hold a separator, quote or newline (RFC 4180).
 * A text field starting with = + @ would be run as a formula by spreadsheet programs
 * (tokens such as "=" are real), so it gets a leading apostrophe; numbers are untouched.
 */

export function csvField(v: string | number): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = v;
  if (/^[=+@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: readonly (string | number)[]): string {
  return fields.map(csvField).join(',');
}

export function toCsv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [csvLine(header), ...rows.map(csvLine)].join('\n') + '\n';
}
