import type { FileRef, Row } from '../../features/adapter.js';
import type { OutputRow } from '../output-rows.js';
import { isFileRef, LineSplitter } from '../partials/spool-lines.js';
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
const OPEN = Buffer.from('[\n');
const SEPARATOR = Buffer.from(',\n');
const CLOSE = Buffer.from('\n]\n');
const NO_ROWS = Buffer.from('[]\n');

export class DatasetRenderer {
  private readonly lines = new LineSplitter();
  /** CSV only: JSON is the spool's line bytes, which need no encoding. */
  private readonly text = new Utf8Chunks();
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
    this.lines.push(chunk, this.line);
    return this.take();
  }

  /** What ends the file. */
  end(): Buffer[] {
    this.lines.end(this.line);
    if (this.job.kind === 'json') this.out.push(this.rows === 0 ? NO_ROWS : CLOSE);
    else this.text.flush(this.out);
    return this.take();
  }

  private readonly line = (bytes: Buffer): void => {
    this.lineNumber += 1;
    if (bytes.length === 0) return;
    const tab = this.withFile ? bytes.indexOf(TAB) : -1;
    if (this.job.kind === 'json') {
      this.out.push(this.rows === 0 ? OPEN : SEPARATOR);
      // A row with a file is encoded on its own: through Utf8Chunks, the raw line after it would
      // flush the chunk and allocate a new 64 KiB one per row (1.3 GB for 20,000 files).
      this.out.push(tab === -1 ? bytes : Buffer.from(JSON.stringify(this.rowWithFile(bytes, tab)), 'utf8'));
    } else {
      const row = tab === -1 ? this.parseRow(bytes) : this.rowWithFile(bytes, tab);
      this.text.add(csvRow(row, this.job.columns), this.out);
    }
    this.rows += 1;
  };

  private rowWithFile(bytes: Buffer, tab: number): OutputRow {
    const row = this.parseRow(bytes.subarray(0, tab));
    const file = parse(bytes.subarray(tab + 1), this.lineNumber);
    if (!isFileRef(file)) throw new SpoolLineError(this.lineNumber);
    return this.withFile!(row, file);
  }

  private parseRow(bytes: Buffer): Row {
    const row = parse(bytes, this.lineNumber);
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new SpoolLineError(this.lineNumber);
    return row as Row;
  }

  /** JSON goes out as one buffer per chunk of spool, not one per line; CSV in Utf8Chunks' chunks. */
  private take(): Buffer[] {
    const out = this.out;
    this.out = [];
    return this.job.kind === 'json' && out.length > 1 ? [Buffer.concat(out)] : out;
  }
}

function parse(bytes: Buffer, lineNumber: number): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
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
