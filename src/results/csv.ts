/**
 * CSV as RFC 4180 describes it (comma separated, CRLF line ends, fields with `"`, `,`, CR or LF
 * quoted, quotes doubled), with one addition: text that a spreadsheet would run as a formula is
 * neutralized, because exported rows hold text other people wrote (CSV injection).
 */

export type CsvValue = string | number | boolean | null | undefined;

// OWASP's list: the four formula starters, plus tab and CR that some programs strip before parsing.
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvRecord(values: CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export function csvField(value: CsvValue): string {
  const text = cellText(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function cellText(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  // Only text is neutralized: a negative number is a number, not a formula.
  if (typeof value === 'string') return FORMULA_START.test(value) ? `'${value}` : value;
  return String(value);
}
