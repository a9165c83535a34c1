import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import zlib from 'node:zlib';
import { csvRecord, csvRow } from './csv.js';
import { JsonArrayJoiner, LineSplitter } from '../partials/spool-lines.js';
import { Utf8Chunks } from '../utf8-chunks.js';
import type { TextJob, ToTextWorker, FromTextWorker } from './text-preparation.js';

/**
 * The worker thread of text preparation (text-preparation.ts): turns a dataset's spool, as the main
 * thread sends it chunk by chunk, into its export JSON and CSV in one pass, each measured (size,
 * SHA-256, CRC-32) and deflated, and sends the deflated bytes back. Parsing every row for the CSV is
 * the largest piece of work an export does on one thread; here it runs beside the file copying
 * instead of after it. No row content ever leaves this module in a message other than the deflated
 * output.
 */

const DEFLATE_CHUNK = 64 * 1024;

/** One entry rendered from the spool: JSON or CSV, measured and deflated. */
class Output {
  private readonly hash = createHash('sha256');
  private crc = 0;
  private size = 0;
  readonly deflate: zlib.DeflateRaw;
  private readonly joiner = new JsonArrayJoiner();
  private readonly lines = new LineSplitter();
  private readonly chunks = new Utf8Chunks();
  private readonly full: Buffer[] = [];
  private lineNumber = 0;

  constructor(
    private readonly run: Run,
    private readonly index: number,
    private readonly spec: TextJob,
  ) {
    this.deflate = zlib.createDeflateRaw({ level: spec.level, chunkSize: DEFLATE_CHUNK });
    this.deflate.on('data', (chunk: Buffer) => {
      // A copy of its own: zlib's output chunks share one allocation, which a transfer would take away.
      const copy = new Uint8Array(chunk);
      send({ type: 'data', id: run.id, output: index, chunk: copy }, [copy.buffer]);
    });
    this.deflate.on('error', (err) => run.fail(`deflate failed: ${err.message}`));
    this.deflate.on('drain', () => run.acknowledge());
    if (spec.kind === 'csv') this.out(Buffer.from(csvRecord(spec.columns)));
  }

  render(chunk: Buffer): void {
    if (this.spec.kind === 'json') this.out(this.joiner.push(chunk));
    else {
      this.lines.push(chunk, (line) => this.csvLine(line));
      this.flushText();
    }
  }

  end(): void {
    if (this.spec.kind === 'json') this.out(this.joiner.end());
    else {
      this.lines.end((line) => this.csvLine(line));
      this.chunks.flush(this.full);
      this.flushText();
    }
    // 'end': every deflated byte has been sent.
    this.deflate.once('end', () => {
      const digest = this.hash.digest('hex');
      send({ type: 'done', id: this.run.id, output: this.index, size: this.size, sha256: digest, crc32: this.crc });
    });
    this.deflate.end();
  }

  private csvLine(line: Buffer): void {
    this.lineNumber += 1;
    if (line.length === 0) return;
    let row: unknown;
    try {
      row = JSON.parse(line.toString('utf8'));
    } catch {
      // The line number only: the line itself is personal data.
      throw new LineError(this.lineNumber);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new LineError(this.lineNumber);
    this.chunks.add(csvRow(row as Record<string, unknown>, this.spec.columns), this.full);
  }

  private flushText(): void {
    for (const piece of this.full.splice(0)) this.out(piece);
  }

  private out(piece: Buffer): void {
    if (piece.length === 0) return;
    this.hash.update(piece);
    this.crc = zlib.crc32(piece, this.crc);
    this.size += piece.length;
    this.deflate.write(piece);
  }
}

/** The outputs of one spool: every chunk goes to each of them, and is acknowledged once all have taken it. */
class Run {
  private readonly outputs: Output[];
  /** Chunks rendered but not yet acknowledged: a deflate has not taken them. */
  private unacknowledged = 0;

  constructor(
    readonly id: number,
    specs: TextJob[],
  ) {
    this.outputs = specs.map((spec, index) => new Output(this, index, spec));
  }

  /** Renders one chunk of spool; acknowledged once every deflate has taken it, so memory stays bounded. */
  write(chunk: Buffer): void {
    for (const output of this.outputs) output.render(chunk);
    this.unacknowledged += 1;
    this.acknowledge();
  }

  end(): void {
    for (const output of this.outputs) output.end();
  }

  acknowledge(): void {
    if (this.outputs.some((output) => output.deflate.writableNeedDrain)) return;
    for (; this.unacknowledged > 0; this.unacknowledged -= 1) send({ type: 'ack', id: this.id });
  }

  fail(message: string): void {
    for (const output of this.outputs) output.deflate.destroy();
    send({ type: 'error', id: this.id, message });
  }
}

class LineError extends Error {
  constructor(readonly lineNumber: number) {
    super(`line ${lineNumber} is not a collected row`);
  }
}

function send(message: FromTextWorker, transfer?: ArrayBuffer[]): void {
  parentPort!.postMessage(message, transfer);
}

const runs = new Map<number, Run>();

parentPort!.on('message', (message: ToTextWorker) => {
  const run = runs.get(message.id);
  try {
    switch (message.type) {
      case 'start':
        runs.set(message.id, new Run(message.id, message.jobs));
        break;
      case 'chunk':
        run?.write(Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength));
        break;
      case 'end':
        runs.delete(message.id);
        run?.end();
        break;
    }
  } catch (err) {
    runs.delete(message.id);
    run?.fail(err instanceof LineError ? err.message : 'the text could not be prepared');
  }
});
