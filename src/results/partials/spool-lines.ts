import type { FileRef } from '../../features/adapter.js';

/**
 * Byte-level helpers over a dataset's spool (one row's JSON per LF-terminated line, see partials.ts),
 * shared by the main thread and the text-preparation worker: neither decodes more than it must.
 */

const LF = 0x0a;
const CR = 0x0d;

/** The lines a chunk of spool ends (its LFs). */
export function countLines(chunk: Buffer): number {
  let lines = 0;
  for (let at = chunk.indexOf(LF); at !== -1; at = chunk.indexOf(LF, at + 1)) lines += 1;
  return lines;
}

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

/** Whether a parsed value is a file reference as a spool line carries it after its tab. */
export function isFileRef(value: unknown): value is FileRef {
  if (typeof value !== 'object' || value === null) return false;
  const file = value as Record<string, unknown>;
  return (
    typeof file.blobKey === 'string' &&
    typeof file.name === 'string' &&
    typeof file.mediaType === 'string' &&
    typeof file.size === 'number' &&
    (file.workFile === undefined || typeof file.workFile === 'boolean')
  );
}
