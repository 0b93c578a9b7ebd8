export type CsvValue = string | number | boolean | null | undefined | readonly string[];

/** Cells a spreadsheet would run as a formula (CSV injection); such text gets a leading apostrophe. */
const FORMULA_START = /^[=+\-@\t\r]/;

function cell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (Array.isArray(value)) text = value.join('; ');
  else if (typeof value === 'string') text = value;
  else text = String(value);
  if (typeof value === 'string' || Array.isArray(value)) {
    if (FORMULA_START.test(text)) text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180: a header row, CRLF line breaks, fields with commas, quotes or line breaks quoted, quotes doubled. */
export function toCsv<T extends string>(header: readonly T[], rows: readonly Record<T, CsvValue>[]): string {
  const lines = [header.map((h) => cell(h)).join(',')];
  for (const row of rows) lines.push(header.map((h) => cell(row[h])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
