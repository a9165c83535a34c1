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
 * A line as LineSplitter gives it: `bytes[start, end)`, without its LF or a CR before it. No Buffer is
 * made per line (a subarray costs more than the work on most lines); a line cut between chunks comes
 * in a buffer of its own.
 */
export type Line = (bytes: Buffer, start: number, end: number) => void;

/**
 * Splits chunks into lines, carrying a line cut between chunks over to the next: a character split
 * between chunks is never decoded in halves.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  /** Bytes of the line cut at the end of the last chunk. */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  /** Calls `line` for every line the chunk completes. */
  push(chunk: Buffer, line: Line): void {
    let start = 0;
    for (let newline = chunk.indexOf(LF); newline !== -1; newline = chunk.indexOf(LF, start)) {
      if (this.pending.length > 0) {
        const whole = Buffer.concat([...this.pending, chunk.subarray(start, newline)]);
        this.pending = [];
        this.pendingLength = 0;
        emit(whole, 0, whole.length, line);
      } else {
        emit(chunk, start, newline, line);
      }
      start = newline + 1;
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingLength += chunk.length - start;
    }
  }

  /** The last line, if the input did not end with LF. */
  end(line: Line): void {
    if (this.pending.length === 0) return;
    const whole = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingLength = 0;
    emit(whole, 0, whole.length, line);
  }
}

function emit(bytes: Buffer, start: number, end: number, line: Line): void {
  line(bytes, start, end > start && bytes[end - 1] === CR ? end - 1 : end);
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
