import type { FileRef, Row } from '../../features/adapter.js';
import type { OutputRow } from '../output-rows.js';
import { countLines, isFileRef, LineSplitter } from '../partials/spool-lines.js';
import { Utf8Chunks } from '../utf8-chunks.js';
import { csvRecord, csvRow } from './csv.js';
import type { RenderJob } from './text-messages.js';

/**
 * The one renderer of an export's dataset files: a dataset's spool (its lines, see
 * partials/partials.ts), chunk by chunk, into its JSON array or its CSV. The main thread and the
 * text worker (text-worker.ts) both run it, so an export's JSON and CSV are the same bytes
 * whichever thread made them.
 *
 * A line without a file is the row's JSON as collected: the JSON file holds it as it is, unparsed.
 * A line with a file (row JSON, tab, file reference JSON) is parsed, and `withFile` says what the
 * row shows of its file (its path in the archive, or why it is missing); only the main thread, which
 * copies the files, renders datasets with files.
 */

/** JSON or CSV; `columns` in order (CSV only; `file` included for a dataset with files). */
export type { RenderJob };

/** A row with a file as the export shows it. */
export type WithFile = (row: Row, file: FileRef) => OutputRow;

/** A spool line that is not a collected row; the message names the line's number, never its content. */
export class SpoolLineError extends Error {
  constructor(readonly lineNumber: number) {
    super(`line ${lineNumber} is not a collected row`);
  }
}

const TAB = 0x09;
const LF = 0x0a;
const OPEN = Buffer.from('[\n');
const SEPARATOR = Buffer.from(',\n');
const CLOSE = Buffer.from('\n]\n');
const NO_ROWS = Buffer.from('[]\n');

export class DatasetRenderer {
  private readonly lines = new LineSplitter();
  /** CSV only: JSON is the spool's line bytes, which need no encoding. */
  private readonly text = new Utf8Chunks();
  /** JSON only: the current chunk's output, its lines copied in one after another from `blockStart`. */
  private block = Buffer.alloc(0);
  private blockStart = 0;
  private used = 0;
  private lineNumber = 0;
  private rows = 0;
  private out: Buffer[] = [];

  constructor(
    private readonly job: RenderJob,
    private readonly withFile?: WithFile,
  ) {}

  /** What starts the file: the CSV header. */
  start(): Buffer[] {
    return this.job.kind === 'csv' ? [Buffer.from(csvRecord(this.job.columns))] : [];
  }

  /** The output for one chunk of spool (no large string is ever built: see Utf8Chunks). */
  push(chunk: Buffer): Buffer[] {
    // Each line takes its bytes and a 2-byte separator where the spool had at least its LF.
    if (this.job.kind === 'json') this.newBlock(this.lines.pendingBytes + chunk.length + countLines(chunk));
    this.lines.push(chunk, this.line);
    return this.take();
  }

  /** What ends the file. */
  end(): Buffer[] {
    if (this.job.kind === 'json') this.newBlock(this.lines.pendingBytes + SEPARATOR.length);
    this.lines.end(this.line);
    if (this.job.kind === 'json') {
      this.endBlock();
      this.out.push(this.rows === 0 ? NO_ROWS : CLOSE);
    } else {
      this.text.flush(this.out);
    }
    return this.take();
  }

  private readonly line = (bytes: Buffer, start: number, end: number): void => {
    this.lineNumber += 1;
    if (end === start) return;
    const line = this.withFile ? bytes.subarray(start, end) : undefined;
    const tab = line ? line.indexOf(TAB) : -1;
    if (tab !== -1) this.addWithFile(this.rowWithFile(line!, tab));
    else if (this.job.kind === 'json') this.copyLine(bytes, start, end);
    else this.text.add(csvRow(this.parseRow(bytes, start, end), this.job.columns), this.out);
    this.rows += 1;
  };

  /** A row's JSON as the spool has it, after its separator, into the chunk's buffer. */
  private copyLine(bytes: Buffer, start: number, end: number): void {
    this.block[this.used] = this.rows === 0 ? OPEN[0]! : SEPARATOR[0]!;
    this.block[this.used + 1] = LF;
    // A plain Uint8Array view and set(): a Buffer's subarray() or copy() costs three times as much per line.
    this.block.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start), this.used + 2);
    this.used += 2 + end - start;
  }

  private addWithFile(row: OutputRow): void {
    if (this.job.kind === 'csv') {
      this.text.add(csvRow(row, this.job.columns), this.out);
      return;
    }
    // Encoded on its own: it grows by its file's path.
    this.endBlock();
    this.out.push(this.rows === 0 ? OPEN : SEPARATOR, Buffer.from(JSON.stringify(row), 'utf8'));
  }

  private newBlock(size: number): void {
    this.block = Buffer.allocUnsafe(size);
    this.blockStart = 0;
    this.used = 0;
  }

  /** Hands on the lines copied so far; later lines go on in the same buffer. */
  private endBlock(): void {
    if (this.used > this.blockStart) this.out.push(this.block.subarray(this.blockStart, this.used));
    this.blockStart = this.used;
  }

  private rowWithFile(line: Buffer, tab: number): OutputRow {
    const row = this.parseRow(line, 0, tab);
    const file = parse(line, tab + 1, line.length, this.lineNumber);
    if (!isFileRef(file)) throw new SpoolLineError(this.lineNumber);
    return this.withFile!(row, file);
  }

  private parseRow(bytes: Buffer, start: number, end: number): Row {
    const row = parse(bytes, start, end, this.lineNumber);
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new SpoolLineError(this.lineNumber);
    return row as Row;
  }

  /** JSON goes out as one buffer per chunk of spool, not one per line; CSV in Utf8Chunks' chunks. */
  private take(): Buffer[] {
    if (this.job.kind === 'json') this.endBlock();
    const out = this.out;
    this.out = [];
    return this.job.kind === 'json' && out.length > 1 ? [Buffer.concat(out)] : out;
  }
}

function parse(bytes: Buffer, start: number, end: number, lineNumber: number): unknown {
  try {
    return JSON.parse(bytes.toString('utf8', start, end));
  } catch {
    throw new SpoolLineError(lineNumber);
  }
}

/** A dataset's file rendered from its spool's chunks. */
export async function* renderDataset(
  spool: AsyncIterable<Buffer> | Iterable<Buffer>,
  job: RenderJob,
  withFile?: WithFile,
): AsyncGenerator<Buffer> {
  const renderer = new DatasetRenderer(job, withFile);
  yield* renderer.start();
  for await (const chunk of spool) yield* renderer.push(chunk);
  yield* renderer.end();
}
