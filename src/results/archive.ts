import { PassThrough, Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import type { BlobStore } from '../blobs/blob-store.js';
import { HashingPassThrough } from './hashing.js';

/**
 * The zip writer of every archive result. It wraps yazl so that:
 * - entries are added one at a time, each only once the previous one has been fully consumed,
 *   so thousands of files never mean thousands of open streams (EMFILE) or buffered bytes;
 * - every entry's size and SHA-256 are computed on its uncompressed bytes while they stream,
 *   which is what the export manifest needs;
 * - the whole zip's size and SHA-256 are computed while it streams into the results store.
 */

export interface ArchiveEntry {
  path: string;
  size: number;
  sha256: string;
  mediaType: string;
}

export interface EntryOptions {
  mediaType: string;
  /** Deflate the entry; false for media that is already compressed (it would only cost CPU). */
  compress: boolean;
}

export interface WrittenBlob {
  size: number;
  sha256: string;
}

export class ZipArchive {
  /** Entries written so far, in archive order (the zip's central directory holds as much anyway). */
  readonly entries: ArchiveEntry[] = [];
  private readonly zip = new ZipFile();
  private readonly output = new HashingPassThrough({ highWaterMark: Number(process.env.HWM ?? 16384) });
  private readonly written: Promise<void>;
  /** Rejects on the first zip or output error, so an `add` waiting on yazl never hangs. */
  private readonly failed: Promise<never>;
  private fail: (err: unknown) => void = () => undefined;

  constructor(
    sink: NodeJS.WritableStream,
    private readonly mtime: Date,
  ) {
    this.failed = new Promise<never>((_resolve, reject) => {
      this.fail = reject;
    });
    // Whoever awaits next sees the failure; this only keeps it from counting as unhandled.
    this.failed.catch(() => undefined);
    this.zip.on('error', (err: unknown) => this.fail(err));
    this.written = pipeline(this.zip.outputStream, this.output, sink);
    this.written.catch((err: unknown) => this.fail(err));
  }

  /**
   * Streams `source` into the archive as `path` and resolves once yazl has consumed all of it.
   * A source error rejects (the entry is half written, so the whole archive must be abandoned).
   */
  async add(path: string, source: Readable, options: EntryOptions): Promise<ArchiveEntry> {
    const hasher = new HashingPassThrough();
    const consumed = new Promise<void>((resolve, reject) => {
      hasher.once('end', resolve);
      hasher.once('error', reject);
      source.once('error', reject);
    });
    source.pipe(hasher);
    this.zip.addReadStreamLazy(path, { mtime: this.mtime, compress: options.compress }, (cb) => cb(null, hasher));
    try {
      // Waiting for the source to close, not just to end, keeps open files to one at a time.
      await Promise.race([Promise.all([consumed, finished(source)]), this.failed]);
    } catch (err) {
      source.destroy();
      hasher.destroy();
      throw err;
    }
    const entry: ArchiveEntry = { path, size: hasher.size, sha256: hasher.sha256(), mediaType: options.mediaType };
    this.entries.push(entry);
    return entry;
  }

  /** Adds generated text (a report, a JSON or CSV file) produced piece by piece. */
  addText(
    path: string,
    pieces: AsyncIterable<string> | Iterable<string>,
    options: EntryOptions,
  ): Promise<ArchiveEntry> {
    return this.add(path, Readable.from(coalesce(pieces)), options);
  }

  /** Writes the central directory and waits until the last byte is in the sink. */
  async finish(): Promise<WrittenBlob> {
    this.zip.end();
    await Promise.race([this.written, this.failed]);
    return { size: this.output.size, sha256: this.output.sha256() };
  }

  /** Stops writing after a failure; the caller aborts the sink. */
  destroy(): void {
    (this.zip.outputStream as PassThrough).destroy();
  }
}

/**
 * Generators yield one small string per row; joining them into ~64 KiB buffers keeps the
 * per-chunk overhead of the hash, CRC and deflate stages low without holding more than that.
 */
export async function* coalesce(
  pieces: AsyncIterable<string> | Iterable<string>,
  chunkSize = 64 * 1024,
): AsyncGenerator<Buffer> {
  let parts: string[] = [];
  let length = 0;
  for await (const piece of pieces) {
    parts.push(piece);
    length += piece.length;
    if (length >= chunkSize) {
      yield Buffer.from(parts.join(''), 'utf8');
      parts = [];
      length = 0;
    }
  }
  if (parts.length > 0) yield Buffer.from(parts.join(''), 'utf8');
}

/**
 * Streams a zip into `store` under `key`: visible only once complete (commit), removed if
 * anything fails (abort), so a failed assembly never leaves a truncated result behind.
 */
export async function writeZipToBlob(
  store: BlobStore,
  key: string,
  mtime: Date,
  fill: (archive: ZipArchive) => Promise<void>,
): Promise<WrittenBlob> {
  const writer = await store.writer(key);
  const archive = new ZipArchive(writer.stream, mtime);
  try {
    await fill(archive);
    const written = await archive.finish();
    await writer.commit();
    return written;
  } catch (err) {
    archive.destroy();
    await writer.abort();
    throw err;
  }
}
