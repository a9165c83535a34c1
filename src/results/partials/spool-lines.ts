/**
 * Byte-level helpers over a dataset's spool (one row's JSON per LF-terminated line, see partials.ts),
 * shared by the main thread and the text-preparation worker: neither decodes more than it must.
 */

const LF = 0x0a;
const CR = 0x0d;
const ROW_SEPARATOR = Buffer.from(',\n');

/** The lines a chunk of spool ends (its LFs). */
export function countLines(chunk: Buffer): number {
  let lines = 0;
  for (let at = chunk.indexOf(LF); at !== -1; at = chunk.indexOf(LF, at + 1)) lines += 1;
  return lines;
}

/**
 * A dataset's spool turned, chunk by chunk, into the JSON array an export holds (`[`, the rows
 * separated by `,`, `]`) without parsing a row. Only for a dataset without files, whose lines are
 * the rows' JSON as they are.
 */
export class JsonArrayJoiner {
  private started = false;
  /** Whether the last chunk ended a line: its LF becomes ",\n" once another line is known to follow. */
  private lineEnded = false;

  /** The output for one chunk of the spool. */
  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return EMPTY;
    const pieces: Buffer[] = this.started ? (this.lineEnded ? [ROW_SEPARATOR] : []) : [OPEN];
    this.started = true;
    let start = 0;
    for (let newline = chunk.indexOf(LF); newline !== -1; newline = chunk.indexOf(LF, start)) {
      pieces.push(chunk.subarray(start, newline));
      start = newline + 1;
      if (start < chunk.length) pieces.push(ROW_SEPARATOR);
    }
    this.lineEnded = start === chunk.length;
    if (!this.lineEnded) pieces.push(chunk.subarray(start));
    return Buffer.concat(pieces);
  }

  /** What closes the array (the whole array, `[]`, when there were no rows). */
  end(): Buffer {
    return this.started ? CLOSE : NO_ROWS;
  }
}

const EMPTY = Buffer.alloc(0);
const OPEN = Buffer.from('[\n');
const CLOSE = Buffer.from('\n]\n');
const NO_ROWS = Buffer.from('[]\n');

/**
 * Splits chunks into lines (without the LF, and without a CR before it), carrying a line cut
 * between chunks over to the next: a character split between chunks is never decoded in halves.
 */
export class LineSplitter {
  private pending: Buffer[] = [];

  /** Calls `line` for every line the chunk completes. */
  push(chunk: Buffer, line: (bytes: Buffer) => void): void {
    let start = 0;
    for (let newline = chunk.indexOf(LF); newline !== -1; newline = chunk.indexOf(LF, start)) {
      const piece = chunk.subarray(start, newline);
      emit(this.pending.length > 0 ? Buffer.concat([...this.pending, piece]) : piece, line);
      this.pending = [];
      start = newline + 1;
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }

  /** The last line, if the input did not end with LF. */
  end(line: (bytes: Buffer) => void): void {
    if (this.pending.length > 0) emit(Buffer.concat(this.pending), line);
    this.pending = [];
  }
}

function emit(bytes: Buffer, line: (bytes: Buffer) => void): void {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
  line(end === bytes.length ? bytes : bytes.subarray(0, end));
}
