import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { once } from 'node:events';
import { finished, pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { ZipFile } from 'yazl';
import type { BlobStore, BlobWriter } from '../../blobs/blob-store.js';
import { HashingPassThrough } from '../../blobs/byte-meter.js';
import type { PreparedText } from '../export/text-preparation.js';
import { Utf8Chunks } from '../utf8-chunks.js';

/**
 * The zip writer of every archive result. It wraps yazl so that:
 * - entries are added one at a time, each only once the previous one has been fully consumed,
 *   so thousands of files never mean thousands of open streams (EMFILE) or buffered bytes;
 * - every entry's size and SHA-256 are computed on its uncompressed bytes as they go in (a stream,
 *   or a small file held whole), which is what the export manifest needs;
 * - each zip file's size and SHA-256 are computed while it streams into the results store;
 * - a result larger than `partBytes` is split into numbered parts, each a complete zip of its own
 *   (not a spanned zip): an entry is never split, and a new part starts before an entry that would
 *   take the current one past the limit.
 */

/**
 * yazl 3.3 computes CRC-32 in JavaScript (buffer-crc32), about 12x slower than zlib's own, and has no
 * option to take a CRC computed elsewhere (yazl issue #82, open). It looks `unsigned` up on every call,
 * so pointing that at Node's zlib.crc32 (same polynomial, same values: checked before the swap) makes
 * every archive faster without forking yazl. Anything unexpected leaves the JavaScript version in place.
 */
function useNativeCrc32(): boolean {
  if (typeof zlib.crc32 !== 'function') return false;
  try {
    const fromYazl = createRequire(createRequire(import.meta.url).resolve('yazl'));
    const lib = fromYazl('buffer-crc32') as { unsigned?: (data: unknown, previous?: unknown) => number };
    const javascript = lib.unsigned;
    if (typeof javascript !== 'function') return false;
    const probe = Buffer.from('The quick brown fox jumps over the lazy dog \u00e9');
    if (javascript(probe) !== zlib.crc32(probe) || javascript(probe, 0xdeadbeef) !== zlib.crc32(probe, 0xdeadbeef)) {
      return false;
    }
    lib.unsigned = (data, previous) =>
      Buffer.isBuffer(data) && (previous === undefined || (typeof previous === 'number' && previous >= 0))
        ? zlib.crc32(data, previous ?? 0)
        : javascript(data, previous);
    return true;
  } catch {
    return false;
  }
}

/** Whether yazl computes CRC-32 with zlib (true on Node >= 20.15 unless yazl changed). */
export const NATIVE_CRC32 = useNativeCrc32();

export interface ArchiveEntry {
  path: string;
  size: number;
  sha256: string;
  mediaType: string;
  /** The part (1, 2, ...) holding the entry; only set when the result is split into parts. */
  part?: number;
}

export interface EntryOptions {
  mediaType: string;
  /** Deflate the entry; false for media that is already compressed (it would only cost CPU). */
  compress: boolean;
  /**
   * Expected uncompressed size, to choose the part before the entry starts: a file's recorded size,
   * or an estimate for generated text. An estimate above the real size only fills parts less.
   */
  sizeHint?: number;
}

export interface WrittenBlob {
  size: number;
  sha256: string;
}

export interface WrittenPart extends WrittenBlob {
  key: string;
  fileName: string;
}

/** Deflate level of text (JSON, CSV, HTML, compressible files): on row JSON, 0.168 of the size against 0.163 at level 6, at half the CPU. */
export const TEXT_DEFLATE_LEVEL = 1;

/** How far the zip output may run ahead of the results store: reading the next file overlaps writing. */
const OUTPUT_BUFFER_BYTES = 4 * 1024 * 1024;
/** Writes to the results store are at least this large (but for the last). */
const OUTPUT_WRITE_BYTES = 256 * 1024;

/**
 * The zip's bytes on their way to the store: counted and hashed (SHA-256 of the whole file), and
 * joined into writes of OUTPUT_WRITE_BYTES. yazl emits every local header and data descriptor as a
 * chunk of its own, so a file of a few KiB would otherwise cost three write calls.
 */
class ZipOutput extends Transform {
  private readonly hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  size = 0;

  constructor() {
    super({ highWaterMark: OUTPUT_BUFFER_BYTES });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (chunk.length >= OUTPUT_WRITE_BYTES / 4) {
      // File data goes on as it is: copying it into larger buffers would cost more than the write saves.
      this.pushPending();
      this.push(chunk);
    } else {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes >= OUTPUT_WRITE_BYTES) this.pushPending();
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.pushPending();
    callback();
  }

  private pushPending(): void {
    if (this.pending.length === 0) return;
    this.push(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes));
    this.pending = [];
    this.pendingBytes = 0;
  }

  sha256(): string {
    return this.hash.digest('hex');
  }
}

// Zip structures around an entry's data (with yazl's Info-ZIP timestamp and, counted always, ZIP64
// fields): local header 30 + 9, data descriptor up to 24, central directory record 46 + 9 + 28.
const ENTRY_OVERHEAD = 30 + 9 + 24 + 46 + 9 + 28;
// End of central directory records (ZIP64 and classic), and slack for bytes still inside yazl.
const ARCHIVE_OVERHEAD = 56 + 20 + 22 + 64 * 1024;

function entryOverhead(path: string): number {
  return ENTRY_OVERHEAD + 2 * Buffer.byteLength(path);
}

/**
 * The stream callback for yazl, which keeps it for the archive's lifetime: made outside `add` so it
 * holds nothing of `add` (a closure keeps every variable its function shares with other closures),
 * and handing the stream over once, so streams and files are collected after their entry. Without
 * this every entry kept its streams, ~4 KB of heap each.
 */
function handOver(stream: Readable): (cb: (err: Error | null, stream: Readable) => void) => void {
  let pending: Readable | undefined = stream;
  return (cb) => {
    const next = pending!;
    pending = undefined;
    cb(null, next);
  };
}

/**
 * yazl finds the next entry to write by scanning its entry list from the start at every step, which
 * is quadratic in the entries of a zip (~2 s of a 20,000-file export). Entries whose data is written
 * are only needed again for the central directory, so they are moved aside as the zip grows and put
 * back, in order, before it ends. `state` 3 is yazl's Entry.FILE_DATA_DONE; if the list does not look
 * as expected (another yazl version), nothing is moved.
 */
interface YazlEntry {
  state: unknown;
  /** How yazl writes the entry's data: for a buffer, a closure holding the buffer. */
  doFileDataPump?: unknown;
  crc32?: unknown;
  uncompressedSize?: unknown;
  compressedSize?: unknown;
  getDataDescriptor?: () => Buffer;
}
interface YazlEntries {
  entries: YazlEntry[];
  /** Bytes yazl has written, for the offsets in the central directory. */
  outputStreamCursor?: unknown;
}
const YAZL_FILE_DATA_DONE = 3;

function yazlEntries(zip: ZipFile): YazlEntries | undefined {
  const internals = zip as unknown as Partial<YazlEntries>;
  return Array.isArray(internals.entries) ? (internals as YazlEntries) : undefined;
}

/**
 * Whether written entries are set aside (true with yazl 3.3; a test asserts it, so an upgrade that
 * changes this is seen). Files are added whole (`addStored`) only then: an entry kept in yazl's list
 * keeps its data pump, and a buffer's pump holds the buffer, so otherwise every file would stay in memory.
 */
export const YAZL_ENTRIES_SET_ASIDE = yazlEntries(new ZipFile()) !== undefined;

/**
 * Whether an entry deflated ahead of time (text-preparation.ts) can be written as it is. yazl deflates
 * every stream itself; for a prepared entry `addDeflated` takes yazl's place once yazl has written
 * the entry's local header: it writes the deflated bytes, sets the CRC-32 and sizes yazl would have
 * measured, and the data descriptor, exactly as yazl does at the end of a stream. Checked on an
 * entry of a throwaway zip (a test asserts it is true with the yazl we ship).
 */
export const YAZL_PREPARED_ENTRIES = ((): boolean => {
  const zip = new ZipFile();
  const internals = yazlEntries(zip);
  if (!internals || typeof internals.outputStreamCursor !== 'number') return false;
  zip.addReadStreamLazy('probe', { compressionLevel: 1 }, () => undefined);
  const entry = internals.entries[0];
  return !!entry && entry.crc32 === null && entry.compressedSize === null && typeof entry.getDataDescriptor === 'function';
})();

/** One zip file: yazl streaming into a sink, with sizes and digests measured on the way. */
class ZipPart {
  entryCount = 0;
  private readonly zip = new ZipFile();
  private readonly internals = yazlEntries(this.zip);
  private readonly setAside: YazlEntry[] = [];
  private readonly output = new ZipOutput();
  private readonly written: Promise<void>;
  /** The first zip or output error; every wait in `guarded` ends with it, so an `add` never hangs. */
  private failure: { error: unknown } | undefined;
  private readonly waiting = new Set<(err: unknown) => void>();
  /** Bytes of central directory this part will end with, and of the entry last added (maybe still in yazl). */
  private centralDirectory = 0;
  private lastEntry = 0;

  constructor(
    sink: NodeJS.WritableStream,
    private readonly mtime: Date,
    readonly number: number,
  ) {
    this.zip.on('error', (err: unknown) => this.fail(err));
    this.written = pipeline(this.zip.outputStream, this.output, sink);
    this.written.catch((err: unknown) => this.fail(err));
  }

  /**
   * An upper bound of this part's size if it ended now: bytes already out, the last entry as if
   * none of it were out yet, and the central directory still to come.
   */
  get bytesUpperBound(): number {
    return this.output.size + this.lastEntry + this.centralDirectory + ARCHIVE_OVERHEAD;
  }

  /**
   * Streams `source` into the zip as `path` and resolves once yazl has consumed all of it.
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
    this.setWrittenAside();
    const level = options.compress ? TEXT_DEFLATE_LEVEL : 0;
    this.zip.addReadStreamLazy(path, { mtime: this.mtime, compressionLevel: level }, handOver(hasher));
    try {
      // Waiting for the source to close, not just to end, keeps open files to one at a time.
      await this.guarded(Promise.all([consumed, finished(source)]));
    } catch (err) {
      source.destroy();
      hasher.destroy();
      throw err;
    }
    return this.counted(path, hasher.size, hasher.sha256(), options.mediaType);
  }

  /**
   * Adds a file held whole in memory, stored as it is, and resolves once yazl has written it. This is
   * yazl's addBuffer: no stream per file, which for 20,000 small files costs more CPU than their bytes
   * (a 2 GiB export's files took 12 s instead of 8). Only when written entries can be set aside
   * (`YAZL_ENTRIES_SET_ASIDE`).
   */
  async addStored(path: string, data: Buffer, mediaType: string): Promise<ArchiveEntry> {
    const entries = this.internals!.entries;
    this.setWrittenAside();
    this.zip.addBuffer(data, path, { mtime: this.mtime, compress: false });
    const entry = entries[entries.length - 1]!;
    // yazl writes it at once unless the entry before is still finishing; then within a few turns.
    while (entry.state !== YAZL_FILE_DATA_DONE) await this.guarded(new Promise((resolve) => setImmediate(resolve)));
    const output = this.zip.outputStream as PassThrough;
    if (output.writableNeedDrain) await this.guarded(once(output, 'drain'));
    return this.counted(path, data.length, createHash('sha256').update(data).digest('hex'), mediaType);
  }

  /**
   * Adds an entry deflated ahead of time, its bytes read from `source` (see YAZL_PREPARED_ENTRIES).
   * yazl calls the stream function once the entry's local header is written; instead of handing yazl
   * a stream to deflate, the prepared bytes are written and the entry finished as yazl would.
   */
  async addDeflated(path: string, prepared: PreparedText, source: () => Readable, mediaType: string): Promise<ArchiveEntry> {
    const internals = this.internals!;
    this.setWrittenAside();
    const index = internals.entries.length;
    const written = new Promise<void>((resolve, reject) => {
      this.zip.addReadStreamLazy(path, { mtime: this.mtime, compressionLevel: TEXT_DEFLATE_LEVEL }, () => {
        this.pumpDeflated(internals, internals.entries[index]!, prepared, source()).then(resolve, reject);
      });
    });
    await this.guarded(written);
    return this.counted(path, prepared.size, prepared.sha256, mediaType);
  }

  private async pumpDeflated(internals: YazlEntries, entry: YazlEntry, prepared: PreparedText, source: Readable): Promise<void> {
    const output = this.zip.outputStream as PassThrough;
    let bytes = 0;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (!output.write(chunk)) await this.guarded(once(output, 'drain'));
      }
    } finally {
      source.destroy();
    }
    if (bytes !== prepared.compressedSize) throw new Error(`prepared entry has ${bytes} bytes, not ${prepared.compressedSize}`);
    entry.crc32 = prepared.crc32;
    entry.uncompressedSize = prepared.size;
    entry.compressedSize = bytes;
    internals.outputStreamCursor = (internals.outputStreamCursor as number) + bytes;
    const descriptor = entry.getDataDescriptor!();
    output.write(descriptor);
    internals.outputStreamCursor = (internals.outputStreamCursor as number) + descriptor.length;
    // yazl moves on to the next entry when the next one is added, or at `end`.
    entry.state = YAZL_FILE_DATA_DONE;
  }

  private counted(path: string, size: number, sha256: string, mediaType: string): ArchiveEntry {
    const overhead = entryOverhead(path);
    this.lastEntry = size + overhead;
    this.centralDirectory += overhead;
    this.entryCount += 1;
    return { path, size, sha256, mediaType };
  }

  private setWrittenAside(): void {
    const entries = this.internals?.entries;
    if (!entries) return;
    let done = 0;
    while (done < entries.length && entries[done]!.state === YAZL_FILE_DATA_DONE) done += 1;
    for (const entry of entries.splice(0, done)) {
      // Never called again once the data is written; dropped, it no longer holds a file's buffer.
      entry.doFileDataPump = undefined;
      this.setAside.push(entry);
    }
  }

  /** Writes the central directory and waits until the last byte is in the sink. */
  async finish(): Promise<WrittenBlob> {
    if (this.internals) this.internals.entries = this.setAside.concat(this.internals.entries);
    this.zip.end();
    await this.guarded(this.written);
    return { size: this.output.size, sha256: this.output.sha256() };
  }

  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    for (const reject of this.waiting) reject(error);
    this.waiting.clear();
  }

  /**
   * `promise`, or the part's failure if that comes first. (Racing one never-settling promise instead
   * would pile up a reaction on it per entry, for as long as the archive is written.)
   */
  private guarded<T>(promise: Promise<T>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure.error);
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      promise.then(
        (value) => {
          this.waiting.delete(reject);
          resolve(value);
        },
        (err: unknown) => {
          this.waiting.delete(reject);
          reject(err);
        },
      );
    });
  }

  /** Stops writing after a failure; the caller aborts the sink. */
  destroy(): void {
    (this.zip.outputStream as PassThrough).destroy();
  }
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
    if (options.compress || !YAZL_ENTRIES_SET_ASIDE) return this.add(path, Readable.from([data]), options);
    const part = await this.partFor(path, data.length);
    return this.added(part, await part.zip.addStored(path, data, options.mediaType));
  }

  /** Adds a text entry deflated ahead of time (text-preparation.ts); `open` streams its deflated bytes. */
  async addPrepared(path: string, prepared: PreparedText, open: () => Readable, mediaType: string): Promise<ArchiveEntry> {
    const part = await this.partFor(path, prepared.compressedSize);
    return this.added(part, await part.zip.addDeflated(path, prepared, open, mediaType));
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
    const part: OpenPart = { zip: new ZipPart(writer.stream, this.layout.mtime, number), writer, key, fileName };
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
export async function* coalesce(
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
