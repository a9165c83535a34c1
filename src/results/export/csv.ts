/**
 * CSV as RFC 4180 describes it (comma separated, CRLF line ends, fields with `"`, `,`, CR or LF
 * quoted, quotes doubled), with one addition: text that a spreadsheet would run as a formula is
 * neutralized, because exported rows hold text other people wrote (CSV injection).
 */

type CsvValue = string | number | boolean | null | undefined;

/** One record, line end included. Called once per exported row, so it builds one string, no arrays. */
export function csvRecord(values: readonly CsvValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i += 1) line += i === 0 ? csvField(values[i]) : `,${csvField(values[i])}`;
  return `${line}\r\n`;
}

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: CsvValue): string {
  const text = cellText(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// OWASP's list: the four formula starters =, +, -, @, plus tab and CR, which some programs strip before parsing.
const FORMULA_START = new Set([0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d]);

function cellText(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  // Only text is neutralized: a negative number is a number, not a formula.
  if (typeof value === 'string') return FORMULA_START.has(value.charCodeAt(0)) ? `'${value}` : value;
  return String(value);
}

/** One row's record, its cells in `columns` order; a value that is an object (a missing file's note) as its JSON. */
export function csvRow(row: Readonly<Record<string, unknown>>, columns: readonly string[]): string {
  const values: CsvValue[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i += 1) {
    const value = row[columns[i]!];
    values[i] = typeof value === 'object' && value !== null ? JSON.stringify(value) : (value as CsvValue);
  }
  return csvRecord(values);
}
