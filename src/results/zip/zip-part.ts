import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import type { Readable, PassThrough } from 'node:stream';
import { once } from 'node:events';
import { finished, pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { ZipFile } from 'yazl';
import { ByteMeter } from '../../blobs/byte-meter.js';

/**
 * One zip file written by yazl, and every place where this project relies on yazl's internals.
 * yazl has no public API for a native CRC-32, for entries deflated ahead of time, or for dropping
 * entries it has written; each specialization below checks yazl's internals on a throwaway zip
 * first and, if they are not as expected (another yazl version), falls back to plain yazl.
 * test/zip-part.test.ts asserts that all three are active with the yazl we ship.
 */

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
  /** The entry's SHA-256 when its source knows it already (archive-files.ts says when): not computed again. */
  sha256?: string;
}

export interface WrittenBlob {
  size: number;
  sha256: string;
}

/** An entry deflated elsewhere (raw deflate at TEXT_DEFLATE_LEVEL), with what the zip records of it. */
export interface DeflatedEntry {
  /** Uncompressed size, SHA-256 and CRC-32 of the entry's bytes. */
  size: number;
  sha256: string;
  crc32: number;
  compressedSize: number;
}

/** Deflate level of text (JSON, CSV, HTML, compressible files): nearly level 6's ratio at half the CPU (bench/README.md). */
export const TEXT_DEFLATE_LEVEL = 1;
/**
 * The window of the text we deflate ourselves (an export's JSON and CSV prepared in the text worker):
 * 8 KiB, not zlib's 32 KiB. At level 1 the smaller window and hash table stay in the CPU's cache, so
 * deflate takes about a quarter less CPU, and rows repeat themselves within a row or two: the output is
 * no larger (bench/README.md, session 16). Any inflater reads it; yazl's own deflate takes only a level.
 */
export const TEXT_DEFLATE_WINDOW_BITS = 13;

/**
 * yazl computes CRC-32 in JavaScript (buffer-crc32) and takes no CRC computed elsewhere (yazl
 * issue #82). It looks `unsigned` up on every call, so pointing that at zlib.crc32 (same values:
 * checked before the swap) speeds up every archive without forking yazl.
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

/** Whether yazl computes CRC-32 with zlib. */
export const NATIVE_CRC32 = useNativeCrc32();

/** How far the zip output may run ahead of the results store: reading the next file overlaps writing. */
const OUTPUT_BUFFER_BYTES = 4 * 1024 * 1024;
/** Writes to the results store are at least this large (but for the last). */
const OUTPUT_WRITE_BYTES = 256 * 1024;

/** A join of small chunks is less than OUTPUT_WRITE_BYTES plus one chunk of less than a quarter of it. */
const JOIN_BYTES = OUTPUT_WRITE_BYTES + OUTPUT_WRITE_BYTES / 4;

/**
 * The zip's bytes on their way to the store, measured (size, SHA-256) and joined into writes of
 * OUTPUT_WRITE_BYTES: yazl emits every local header and data descriptor as a chunk of its own, so a
 * small file would otherwise cost three write calls. The joins take buffers used again once the
 * store has taken in every byte up to their end (`consumed`, as file buffers do: file-buffers.ts),
 * not a new buffer each: those would be garbage the size of every small file in the archive.
 */
class ZipOutput extends ByteMeter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes pushed on: the offset in the zip where the next push starts. */
  private pushed = 0;
  /** Join buffers handed on, in order, with the offset where each one's bytes end. */
  private readonly joins: { buffer: Buffer; end: number }[] = [];
  private readonly free: Buffer[] = [];

  constructor(private readonly consumed: (() => number) | undefined) {
    super({ sha256: true, highWaterMark: OUTPUT_BUFFER_BYTES });
  }

  protected override forward(chunk: Buffer): void {
    if (chunk.length >= OUTPUT_WRITE_BYTES / 4) {
      // File data goes on as it is: copying it into larger buffers would cost more than the write saves.
      this.pushPending();
      this.pushOn(chunk);
    } else {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes >= OUTPUT_WRITE_BYTES) this.pushPending();
    }
  }

  override _flush(callback: (err?: Error | null) => void): void {
    this.pushPending();
    callback();
  }

  private pushPending(): void {
    if (this.pending.length === 0) return;
    this.pushOn(this.pending.length === 1 ? this.pending[0]! : this.join());
    this.pending = [];
    this.pendingBytes = 0;
  }

  private join(): Buffer {
    const buffer = this.joinBuffer();
    let used = 0;
    for (const piece of this.pending) used += piece.copy(buffer, used);
    if (this.consumed) this.joins.push({ buffer, end: this.pushed + used });
    return buffer.subarray(0, used);
  }

  private joinBuffer(): Buffer {
    const consumed = this.consumed?.() ?? 0;
    while (this.joins.length > 0 && this.joins[0]!.end <= consumed) this.free.push(this.joins.shift()!.buffer);
    return this.free.pop() ?? Buffer.allocUnsafeSlow(JOIN_BYTES);
  }

  private pushOn(chunk: Buffer): void {
    this.pushed += chunk.length;
    this.push(chunk);
  }
}

// Zip structures around an entry's data (with yazl's Info-ZIP timestamp and, counted always, ZIP64
// fields): local header 30 + 9, data descriptor up to 24, central directory record 46 + 9 + 28.
const ENTRY_OVERHEAD = 30 + 9 + 24 + 46 + 9 + 28;
// End of central directory records (ZIP64 and classic), and slack for bytes still inside yazl.
const ARCHIVE_OVERHEAD = 56 + 20 + 22 + 64 * 1024;

/** Bytes of zip structure an entry named `path` adds besides its data. */
export function entryOverhead(path: string): number {
  return ENTRY_OVERHEAD + 2 * Buffer.byteLength(path);
}

/**
 * The stream callback for yazl, which keeps it for the archive's lifetime: made outside `add` so it
 * holds nothing of `add` (a closure keeps every variable its function shares with other closures),
 * and handing the stream over once, so streams are collected after their entry.
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
 * is quadratic in the entries of a zip. Entries whose data is written are only needed again for the
 * central directory, so they are moved aside as the zip grows and put back, in order, before it
 * ends. `state` 3 is yazl's Entry.FILE_DATA_DONE.
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
 * Whether written entries are set aside. Files are added whole (`addStored`) only then: an entry
 * kept in yazl's list keeps its data pump, and a buffer's pump holds the buffer, so otherwise every
 * file would stay in memory.
 */
export const YAZL_ENTRIES_SET_ASIDE = yazlEntries(new ZipFile()) !== undefined;

/**
 * Whether an entry deflated ahead of time can be written as it is. yazl deflates every stream itself;
 * for such an entry `addDeflated` takes yazl's place once yazl has written the entry's local header:
 * it writes the deflated bytes, sets the CRC-32 and sizes yazl would have measured, and the data
 * descriptor, exactly as yazl does at the end of a stream.
 */
export const YAZL_PREPARED_ENTRIES = ((): boolean => {
  const zip = new ZipFile();
  const internals = yazlEntries(zip);
  if (!internals || typeof internals.outputStreamCursor !== 'number') return false;
  zip.addReadStreamLazy('probe', { compressionLevel: 1 }, () => undefined);
  const entry = internals.entries[0];
  return !!entry && entry.crc32 === null && entry.compressedSize === null && typeof entry.getDataDescriptor === 'function';
})();

/**
 * One zip file: yazl streaming into a sink, with sizes and digests measured on the way. Entries are
 * added one at a time, each once the previous one has been consumed, so thousands of files never
 * mean thousands of open streams or buffered bytes.
 */
export class ZipPart {
  entryCount = 0;
  private readonly zip = new ZipFile();
  private readonly internals = yazlEntries(this.zip);
  private readonly setAside: YazlEntry[] = [];
  private readonly output: ZipOutput;
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
    /** The sink's bytes taken in for good (BlobWriter.consumed), if it says. */
    consumed?: () => number,
  ) {
    this.output = new ZipOutput(consumed);
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

  /** Bytes yazl has put out so far: the zip's offset after the entry last written (only with YAZL_ENTRIES_SET_ASIDE). */
  get bytesOut(): number {
    return this.internals!.outputStreamCursor as number;
  }

  /**
   * Streams `source` into the zip as `path` and resolves once yazl has consumed all of it.
   * A source error rejects (the entry is half written, so the whole archive must be abandoned).
   */
  async add(path: string, source: Readable, options: EntryOptions): Promise<ArchiveEntry> {
    const meter = new ByteMeter({ sha256: options.sha256 === undefined });
    const consumed = new Promise<void>((resolve, reject) => {
      meter.once('end', resolve);
      meter.once('error', reject);
      source.once('error', reject);
    });
    source.pipe(meter);
    this.setWrittenAside();
    const level = options.compress ? TEXT_DEFLATE_LEVEL : 0;
    this.zip.addReadStreamLazy(path, { mtime: this.mtime, compressionLevel: level }, handOver(meter));
    try {
      // Waiting for the source to close, not just to end, keeps open files to one at a time.
      await this.guarded(Promise.all([consumed, finished(source)]));
    } catch (err) {
      source.destroy();
      meter.destroy();
      throw err;
    }
    return this.counted(path, meter.size, options.sha256 ?? meter.sha256(), options.mediaType);
  }

  /**
   * Adds a file held whole in memory, stored as it is (yazl's addBuffer: no stream per file), and
   * resolves once yazl has written it. Only when YAZL_ENTRIES_SET_ASIDE.
   */
  async addStored(path: string, data: Buffer, options: EntryOptions): Promise<ArchiveEntry> {
    const entries = this.internals!.entries;
    this.setWrittenAside();
    this.zip.addBuffer(data, path, { mtime: this.mtime, compress: false });
    const entry = entries[entries.length - 1]!;
    // yazl writes it at once unless the entry before is still finishing; then within a few turns.
    while (entry.state !== YAZL_FILE_DATA_DONE) await this.guarded(new Promise((resolve) => setImmediate(resolve)));
    const output = this.zip.outputStream as PassThrough;
    if (output.writableNeedDrain) await this.guarded(once(output, 'drain'));
    const sha256 = options.sha256 ?? createHash('sha256').update(data).digest('hex');
    return this.counted(path, data.length, sha256, options.mediaType);
  }

  /**
   * Adds an entry deflated ahead of time, its bytes read from `source` (only when
   * YAZL_PREPARED_ENTRIES). yazl calls the stream function once the entry's local header is written;
   * instead of handing yazl a stream to deflate, the deflated bytes are written and the entry
   * finished as yazl would.
   */
  async addDeflated(path: string, deflated: DeflatedEntry, source: () => AsyncIterable<Buffer>, mediaType: string): Promise<ArchiveEntry> {
    const internals = this.internals!;
    this.setWrittenAside();
    const index = internals.entries.length;
    const written = new Promise<void>((resolve, reject) => {
      this.zip.addReadStreamLazy(path, { mtime: this.mtime, compressionLevel: TEXT_DEFLATE_LEVEL }, () => {
        this.pumpDeflated(internals, internals.entries[index]!, deflated, source()).then(resolve, reject);
      });
    });
    await this.guarded(written);
    return this.counted(path, deflated.size, deflated.sha256, mediaType);
  }

  private async pumpDeflated(internals: YazlEntries, entry: YazlEntry, deflated: DeflatedEntry, source: AsyncIterable<Buffer>): Promise<void> {
    const output = this.zip.outputStream as PassThrough;
    let bytes = 0;
    // Leaving the loop early (a failed write) closes the source.
    for await (const chunk of source) {
      bytes += chunk.length;
      if (!output.write(chunk)) await this.guarded(once(output, 'drain'));
    }
    if (bytes !== deflated.compressedSize) throw new Error(`deflated entry has ${bytes} bytes, not ${deflated.compressedSize}`);
    entry.crc32 = deflated.crc32;
    entry.uncompressedSize = deflated.size;
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
