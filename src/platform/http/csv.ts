export type CsvValue = string | number | boolean | null | undefined | readonly string[];

/**
 * Text a spreadsheet would run as a formula (CSV injection, OWASP): starting with = + - @ TAB or CR, also
 * after leading spaces or line breaks, which some spreadsheets skip. Such a cell gets a leading apostrophe,
 * so it is shown as text. Numbers and booleans are written by the gateway itself and left as they are (a
 * negative number is not a formula).
 */
const FORMULA_START = /^[\s\u00a0]*[=+\-@\t\r]/;

/**
 * Cells quoted: those holding a quote, a line break, or a separator of any locale: the comma, and the
 * semicolon that spreadsheets in locales with a decimal comma (de, fr, …) split on.
 */
const NEEDS_QUOTES = /[",;\r\n]/;

function cell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = Array.isArray(value) ? value.join('; ') : (value as string);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * RFC 4180: a header row, CRLF line breaks, quotes doubled; every text cell (header included) neutralised
 * and quoted as `cell` says.
 */
export function toCsv<T extends string>(header: readonly T[], rows: readonly Record<T, CsvValue>[]): string {
  const lines = [header.map((h) => cell(h)).join(',')];
  for (const row of rows) lines.push(header.map((h) => cell(row[h])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
