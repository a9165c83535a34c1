import { Readable } from 'node:stream';
import type { BlobStore, BlobWriter } from '../../blobs/blob-store.js';
import { Utf8Chunks } from '../utf8-chunks.js';
import { FileBuffers } from './file-buffers.js';
import {
  entryOverhead,
  YAZL_ENTRIES_SET_ASIDE,
  YAZL_PREPARED_ENTRIES,
  ZipPart,
  type ArchiveEntry,
  type DeflatedEntry,
  type EntryOptions,
  type WrittenBlob,
} from './zip-part.js';

/** One read of a blob added deflated (`addDeflated`): the size of the zip output's writes (zip-part.ts). */
const READ_BYTES = 256 * 1024;

export { TEXT_DEFLATE_LEVEL, TEXT_DEFLATE_WINDOW_BITS, type ArchiveEntry, type DeflatedEntry, type WrittenBlob } from './zip-part.js';

/**
 * The zip writer of every archive result:
 * - every entry's size and SHA-256 are computed on its uncompressed bytes as they go in, which is
 *   what the export manifest needs; each zip file's size and SHA-256 while it streams into the store;
 * - a result larger than `partBytes` is split into numbered parts, each a complete zip of its own
 *   (not a spanned zip): an entry is never split, and a new part starts before an entry that would
 *   take the current one past the limit.
 * How one zip file is written (and what that needs of yazl) is zip-part.ts.
 */

/** Whether `addDeflated` takes entries deflated ahead of time (else callers add the text itself). */
export const DEFLATED_ENTRIES = YAZL_PREPARED_ENTRIES;

export interface WrittenPart extends WrittenBlob {
  key: string;
  fileName: string;
}

export interface ArchiveLayout {
  /** The result's file name without `.zip`: `dsar-export-<id>`; parts add `.part<n>`. */
  baseName: string;
  /** Where a file name goes in the results store. */
  keyFor(fileName: string): string;
  mtime: Date;
  /** Parts are kept at or below this size (a single entry larger than it gets a part of its own). */
  partBytes: number;
  /**
   * The expected size of the whole archive. At or below `partBytes` the result is one zip named
   * `<baseName>.zip` (and stays one, should the estimate prove low); above it, parts from the start.
   */
  expectedBytes: number;
  /**
   * Room kept free in part 1 for entries written at the end with `inFirstPart` (the access reports);
   * part 1 then stays open until the archive is finished.
   */
  firstPartReserve?: number;
}

interface OpenPart {
  zip: ZipPart;
  writer: BlobWriter;
  key: string;
  fileName: string;
}

/**
 * The archive as one or more zip parts. Entries go to the current part in order; `entries` lists
 * every entry of every part, in the order they were added.
 */
export class ZipArchive {
  readonly entries: ArchiveEntry[] = [];
  /** Where files read whole for `addFile` take their memory: used again once the store has written them. */
  readonly fileBuffers = new FileBuffers();
  readonly split: boolean;
  private readonly open: OpenPart[] = [];
  private readonly done: WrittenPart[] = [];
  private current: OpenPart | undefined;
  private first: OpenPart | undefined;
  private toFirst = false;

  constructor(
    private readonly store: BlobStore,
    private readonly layout: ArchiveLayout,
  ) {
    this.split = layout.expectedBytes > layout.partBytes;
  }

  /** Opens part 1 (otherwise opened by the first entry). */
  async start(): Promise<void> {
    if (!this.current) this.current = this.first = await this.openPart();
  }

  /** Adds `source` as `path` to the part it belongs in (see EntryOptions.sizeHint). */
  async add(path: string, source: Readable, options: EntryOptions): Promise<ArchiveEntry> {
    let part: OpenPart;
    try {
      part = await this.partFor(path, options.sizeHint ?? 0);
    } catch (err) {
      source.destroy();
      throw err;
    }
    return this.added(part, await part.zip.add(path, source, options));
  }

  private added(part: OpenPart, entry: ArchiveEntry): ArchiveEntry {
    if (this.split) entry.part = part.zip.number;
    this.entries.push(entry);
    return entry;
  }

  /**
   * Adds a file read whole: stored from memory when it is not to be deflated, else streamed like any
   * other source.
   */
  async addFile(path: string, data: Buffer, options: EntryOptions): Promise<ArchiveEntry> {
    if (options.compress || !YAZL_ENTRIES_SET_ASIDE) {
      // Deflated on the thread pool, for as long as zlib takes: a copy, so the file's buffer can go back at once.
      const bytes = this.fileBuffers.owns(data) ? Buffer.from(data) : data;
      this.fileBuffers.releaseWhen(data, () => true);
      return this.add(path, Readable.from([bytes]), options);
    }
    const part = await this.partFor(path, data.length);
    const entry = this.added(part, await part.zip.addStored(path, data, options));
    const end = part.zip.bytesOut;
    const consumed = part.writer.consumed?.bind(part.writer);
    if (consumed) this.fileBuffers.releaseWhen(data, () => consumed() >= end);
    return entry;
  }

  /**
   * Adds an entry deflated ahead of time (only when DEFLATED_ENTRIES), its deflated bytes the blob
   * `key` of `store`. A store with a `reader` reads them into the file buffers, each used again once
   * the part's store has taken it in: streamed, they were a new 64 KiB chunk each, all garbage at
   * once at the archive's end (~90 MB for 1M rows, bench/README.md, session 16).
   */
  async addDeflated(path: string, deflated: DeflatedEntry, store: BlobStore, key: string, mediaType: string): Promise<ArchiveEntry> {
    const part = await this.partFor(path, deflated.compressedSize);
    const consumed = part.writer.consumed?.bind(part.writer);
    const source = store.reader && consumed ? () => this.readReused(store, key, part.zip, consumed) : () => store.get(key) as AsyncIterable<Buffer>;
    return this.added(part, await part.zip.addDeflated(path, deflated, source, mediaType));
  }

  /** A blob's bytes, read into file buffers; each goes back once `consumed` passes where it ends in the zip. */
  private async *readReused(store: BlobStore, key: string, zip: ZipPart, consumed: () => number): AsyncGenerator<Buffer> {
    const reader = await store.reader!(key);
    try {
      // Asked for once yazl has written the entry's local header: the entry's data starts here.
      const start = zip.bytesOut;
      for (let at = 0; ; ) {
        const buffer = this.fileBuffers.take(READ_BYTES);
        const read = await reader.read(buffer, READ_BYTES, at);
        at += read;
        const end = start + at;
        this.fileBuffers.releaseWhen(buffer, () => consumed() >= end);
        if (read === 0) return;
        yield buffer.subarray(0, read);
      }
    } finally {
      await reader.close();
    }
  }

  /** Adds generated text (a report, a JSON or CSV file) produced piece by piece. */
  addText(
    path: string,
    pieces: AsyncIterable<string | readonly string[]> | Iterable<string | readonly string[]>,
    options: EntryOptions,
  ): Promise<ArchiveEntry> {
    return this.add(path, Readable.from(coalesce(pieces)), options);
  }

  /** Runs `fill` with every entry it adds going to part 1, whatever its size (the access reports). */
  async inFirstPart<T>(fill: () => Promise<T>): Promise<T> {
    this.toFirst = true;
    try {
      return await fill();
    } finally {
      this.toFirst = false;
    }
  }

  private async partFor(path: string, sizeHint: number): Promise<OpenPart> {
    await this.start();
    if (this.toFirst) return this.first!;
    const part = this.current!;
    if (!this.split) return part;
    const holdFirst = part === this.first && (this.layout.firstPartReserve ?? 0) > 0;
    const limit = this.layout.partBytes - (holdFirst ? this.layout.firstPartReserve! : 0);
    const empty = part.zip.entryCount === 0 && !holdFirst;
    if (empty || part.zip.bytesUpperBound + sizeHint + entryOverhead(path) <= limit) return part;
    // Part 1 keeps its place for what `inFirstPart` adds at the end; any other full part is done.
    if (!holdFirst) await this.close(part);
    this.current = await this.openPart();
    return this.current;
  }

  private async openPart(): Promise<OpenPart> {
    const number = this.open.length + this.done.length + 1;
    const fileName = this.split ? `${this.layout.baseName}.part${number}.zip` : `${this.layout.baseName}.zip`;
    const key = this.layout.keyFor(fileName);
    const writer = await this.store.writer(key);
    const zip = new ZipPart(writer.stream, this.layout.mtime, number, writer.consumed?.bind(writer));
    const part: OpenPart = { zip, writer, key, fileName };
    this.open.push(part);
    return part;
  }

  private async close(part: OpenPart): Promise<void> {
    const written = await part.zip.finish();
    await part.writer.commit();
    this.open.splice(this.open.indexOf(part), 1);
    this.done.push({ key: part.key, fileName: part.fileName, ...written });
  }

  /** Finishes every open part (part 1 last if it was held open); the parts in order. */
  async finish(): Promise<WrittenPart[]> {
    await this.start();
    for (const part of [...this.open].sort((a, b) => b.zip.number - a.zip.number)) await this.close(part);
    return [...this.done].sort((a, b) => partNumber(a) - partNumber(b));
  }

  /** After a failure: stops every open part and removes every part, finished or not. */
  async abort(): Promise<void> {
    for (const part of this.open.splice(0)) {
      part.zip.destroy();
      await part.writer.abort();
    }
    for (const part of this.done.splice(0)) await this.store.delete(part.key);
  }
}

function partNumber(part: WrittenPart): number {
  return Number(/\.part(\d+)\.zip$/.exec(part.fileName)?.[1] ?? 1);
}

/**
 * Generators yield text a row or a batch of rows at a time (an array: one string per row); written
 * into ~64 KiB buffers the hash, CRC and deflate stages see few, large chunks, and no large string is
 * ever made (see Utf8Chunks).
 */
async function* coalesce(
  pieces: AsyncIterable<string | readonly string[]> | Iterable<string | readonly string[]>,
): AsyncGenerator<Buffer> {
  const chunks = new Utf8Chunks();
  const full: Buffer[] = [];
  for await (const piece of pieces) {
    if (typeof piece === 'string') chunks.add(piece, full);
    else for (const text of piece) chunks.add(text, full);
    while (full.length > 0) yield full.shift()!;
  }
  chunks.flush(full);
  yield* full;
}

/**
 * Streams a zip archive (one file, or parts) into `store`: each file visible only once complete
 * (commit), all of them removed if anything fails, so a failed assembly never leaves a truncated
 * or partial result behind.
 */
export async function writeZipArchive(
  store: BlobStore,
  layout: ArchiveLayout,
  fill: (archive: ZipArchive) => Promise<void>,
): Promise<WrittenPart[]> {
  const archive = new ZipArchive(store, layout);
  try {
    await archive.start();
    await fill(archive);
    return await archive.finish();
  } catch (err) {
    await archive.abort();
    throw err;
  }
}
