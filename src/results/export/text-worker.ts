import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import zlib from 'node:zlib';
import { DatasetRenderer, SpoolLineError } from './row-renderer.js';
import { checkToTextWorker, type FromTextWorker, type RenderJob, type ToTextWorker } from './text-messages.js';

/**
 * The worker thread of text preparation (text-preparation.ts): turns a dataset's spool, as the main
 * thread sends it chunk by chunk, into its export JSON and CSV in one pass (row-renderer.ts, as the
 * main thread would), each measured (size, SHA-256, CRC-32) and deflated, and sends the deflated
 * bytes back. Parsing every row for the CSV is the largest piece of work an export does on one
 * thread; here it runs beside the file copying instead of after it. No row content ever leaves this
 * module in a message other than the deflated output.
 */

const DEFLATE_CHUNK = 64 * 1024;

/** What the main thread asks of deflate in its start message (zip-part.ts: TEXT_DEFLATE_LEVEL, TEXT_DEFLATE_WINDOW_BITS). */
type Deflate = Pick<Extract<ToTextWorker, { type: 'start' }>, 'level' | 'windowBits'>;

/** One entry rendered from the spool: JSON or CSV, measured and deflated. */
class Output {
  private readonly hash = createHash('sha256');
  private crc = 0;
  private size = 0;
  readonly deflate: zlib.DeflateRaw;
  private readonly renderer: DatasetRenderer;

  constructor(
    private readonly run: Run,
    private readonly index: number,
    job: RenderJob,
    deflate: Deflate,
  ) {
    this.deflate = zlib.createDeflateRaw({ ...deflate, chunkSize: DEFLATE_CHUNK });
    this.deflate.on('data', (chunk: Buffer) => {
      // A copy of its own: zlib's output chunks share one allocation, which a transfer would take away.
      const copy = new Uint8Array(chunk);
      send({ type: 'data', id: run.id, output: index, chunk: copy }, [copy.buffer]);
    });
    this.deflate.on('error', (err) => run.fail(`deflate failed: ${err.message}`));
    this.deflate.on('drain', () => run.acknowledge());
    this.renderer = new DatasetRenderer(job);
    this.out(this.renderer.start());
  }

  render(chunk: Buffer): void {
    this.out(this.renderer.push(chunk));
  }

  end(): void {
    this.out(this.renderer.end());
    // 'end': every deflated byte has been sent.
    this.deflate.once('end', () => {
      const digest = this.hash.digest('hex');
      send({ type: 'done', id: this.run.id, output: this.index, size: this.size, sha256: digest, crc32: this.crc });
    });
    this.deflate.end();
  }

  private out(pieces: Buffer[]): void {
    for (const piece of pieces) {
      if (piece.length === 0) continue;
      this.hash.update(piece);
      this.crc = zlib.crc32(piece, this.crc);
      this.size += piece.length;
      this.deflate.write(piece);
    }
  }
}

/** The outputs of one spool: every chunk goes to each of them, and is acknowledged once all have taken it. */
class Run {
  private readonly outputs: Output[];
  /** Chunks rendered but not yet acknowledged: a deflate has not taken them. */
  private unacknowledged = 0;

  constructor(
    readonly id: number,
    jobs: RenderJob[],
    deflate: Deflate,
  ) {
    this.outputs = jobs.map((job, index) => new Output(this, index, job, deflate));
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

function send(message: FromTextWorker, transfer?: ArrayBuffer[]): void {
  parentPort!.postMessage(message, transfer);
}

const runs = new Map<number, Run>();

parentPort!.on('message', (message: unknown) => {
  if (!checkToTextWorker.Check(message)) {
    // Nothing of it is echoed: a chunk is personal data. Every run stops; the main thread fails them.
    for (const run of runs.values()) run.fail('received a malformed message');
    runs.clear();
    return;
  }
  const run = runs.get(message.id);
  try {
    switch (message.type) {
      case 'start':
        runs.set(message.id, new Run(message.id, message.jobs, { level: message.level, windowBits: message.windowBits }));
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
    run?.fail(err instanceof SpoolLineError ? err.message : 'the text could not be prepared');
  }
});
