import { closeSync, createReadStream, createWriteStream, fstatSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';

/**
 * Bytes that do not belong in Postgres: feature files (drive files, face images, voice),
 * collected partials and assembled results. Keys are relative, slash-separated paths.
 * The local directory is the default; S3BlobStore (s3-blob-store.ts) serves deployments with
 * several hosts, and EncryptedBlobStore (encrypted-blob-store.ts) encrypts what either holds.
 */
export interface BlobStore {
  put(key: string, body: Readable | Buffer | string): Promise<{ size: number }>;
  /** A write stream whose content becomes visible under `key` only once `commit()` resolves. */
  writer(key: string): Promise<BlobWriter>;
  /** The blob's bytes, or only those from `range.start` to `range.end` (inclusive, as in HTTP). */
  get(key: string, range?: ByteRange): Readable;
  /**
   * The whole blob in one buffer if it holds at most `maxBytes`; undefined when it is larger, absent
   * or unreadable, for the caller to stream it with `get` instead (which tells those cases apart).
   * Small files go into an archive this way, without a stream per file. A store that reads into
   * memory of its own takes it from `allocate` (the archive's reused file buffers).
   */
  readWhole(key: string, maxBytes: number, allocate?: (size: number) => Buffer): Promise<Buffer | undefined>;
  /**
   * Optional: the blob opened for reads at given positions. A reader of fixed-size records (encrypted
   * segments) reads them into buffers it uses again, where a stream allocates a buffer per chunk.
   */
  reader?(key: string): Promise<BlobReader>;
  size(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  deletePrefix(prefix: string): Promise<void>;
}

export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobReader {
  /** Reads up to `length` bytes at `position` into the start of `into`: how many it read, fewer only at the end. */
  read(into: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface BlobWriter {
  stream: NodeJS.WritableStream;
  commit(): Promise<void>;
  abort(): Promise<void>;
  /**
   * Bytes written to `stream` that the store no longer holds (written out, or copied): a buffer whose
   * bytes all lie before this may be used again. Absent: the store cannot tell.
   */
  consumed?(): number;
}

const SAFE_KEY = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export class InvalidBlobKeyError extends Error {}

/** Raised (on the stream) by stores that are not a directory when a key holds no blob. */
export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError';
  readonly code = 'ENOENT';
  constructor(key: string) {
    super(`no blob under ${key}`);
  }
}

export function assertBlobKey(key: string): string {
  if (!SAFE_KEY.test(key) || key.split('/').some((part) => part === '.' || part === '..')) {
    throw new InvalidBlobKeyError('invalid blob key');
  }
  return key;
}

/** Writes a whole body through a writer: committed when complete, aborted on any failure. */
export async function writeBody(w: BlobWriter, body: Readable | Buffer | string): Promise<void> {
  try {
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      await new Promise<void>((resolve, reject) => w.stream.end(body, () => resolve()).on('error', reject));
    } else {
      await pipeline(body, w.stream);
    }
    await w.commit();
  } catch (err) {
    await w.abort();
    throw err;
  }
}

/** Creates a file, and its directory only when missing: most writes go where others went before, so one call instead of three. */
async function createFile(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'w');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(path.dirname(file), { recursive: true });
    return open(file, 'w');
  }
}

/** Where a blob is written before it is renamed to its key. */
function tempFile(target: string): string {
  return `${target}.${randomUUID()}.partial`;
}

/** A body up to this size is written to a local file synchronously (LocalBlobStore.putSmall). */
const SYNC_WRITE_BYTES = 1024 * 1024;

export class LocalBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  private file(key: string): string {
    return path.join(this.root, assertBlobKey(key));
  }

  async put(key: string, body: Readable | Buffer | string): Promise<{ size: number }> {
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
      if (bytes.length <= SYNC_WRITE_BYTES) {
        const target = this.file(key);
        if (!this.putSmall(target, bytes, true)) {
          // A new directory (each partial has its own): made on the thread pool, since a synchronous
          // mkdir holds the one thread for as long as a busy disk takes.
          await mkdir(path.dirname(target), { recursive: true });
          this.putSmall(target, bytes, false);
        }
        return { size: bytes.length };
      }
    }
    await writeBody(await this.writer(key), body);
    return { size: (await this.size(key)) ?? 0 };
  }

  /**
   * Written synchronously, as small blobs are read (readWhole): the thread-pool round trips of an
   * open, a write, a close and a rename cost more than the syscalls themselves. Beside the target
   * and renamed, as every write. False when the directory is missing, if it may be.
   */
  private putSmall(target: string, bytes: Buffer, directoryMayBeMissing: boolean): boolean {
    const temp = tempFile(target);
    try {
      writeFileSync(temp, bytes);
    } catch (err) {
      if (directoryMayBeMissing && (err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    try {
      renameSync(temp, target);
    } catch (err) {
      rmSync(temp, { force: true });
      throw err;
    }
    return true;
  }

  async writer(key: string): Promise<BlobWriter> {
    const target = this.file(key);
    // Write beside the target and rename, so a crash never leaves a half-written blob under its key.
    const temp = tempFile(target);
    const stream = createWriteStream(temp, { highWaterMark: 1024 * 1024, fd: await createFile(temp) });
    const closed = new Promise<void>((resolve, reject) => {
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    // Aborted while a write is on its way to disk, the stream fails with ERR_STREAM_DESTROYED when that
    // write lands: expected, and observed here so that Node does not stop the process for it.
    closed.catch(() => undefined);
    return {
      stream,
      // Counted once each write has landed in the file.
      consumed: () => stream.bytesWritten,
      commit: async () => {
        if (!stream.writableFinished) await new Promise<void>((resolve) => stream.end(resolve));
        await closed;
        await rename(temp, target);
      },
      abort: async () => {
        stream.destroy();
        // The file goes once nothing writes to it any more.
        await closed.catch(() => undefined);
        await rm(temp, { force: true });
      },
    };
  }

  get(key: string, range?: ByteRange): Readable {
    return createReadStream(this.file(key), range && { start: range.start, end: range.end });
  }

  /**
   * Read synchronously: for a blob of at most a few MiB, four thread-pool round trips (open, stat,
   * read, close) cost the process several times the CPU of the read itself (bench/README.md,
   * session 4). The event loop waits for one read at a time, under a millisecond from the page
   * cache; callers keep `maxBytes` small.
   */
  async readWhole(key: string, maxBytes: number, allocate = Buffer.allocUnsafe): Promise<Buffer | undefined> {
    let fd: number;
    try {
      fd = openSync(this.file(key), 'r');
    } catch {
      return undefined;
    }
    try {
      const { size } = fstatSync(fd);
      if (size > maxBytes) return undefined;
      const data = allocate(size);
      let filled = 0;
      while (filled < size) {
        const bytesRead = readSync(fd, data, filled, size - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return data.subarray(0, filled);
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  async reader(key: string): Promise<BlobReader> {
    const handle = await open(this.file(key), 'r');
    return {
      read: async (into, length, position) => {
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(into, filled, length - filled, position + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return filled;
      },
      close: () => handle.close(),
    };
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.file(key))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.file(prefix), { recursive: true, force: true });
  }
}

/** `readWhole` for stores that only stream: collects at most `maxBytes` of the blob's stream. */
export async function readWholeStream(open: () => Readable, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  let stream: Readable | undefined;
  try {
    stream = open();
    for await (const chunk of stream) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) return undefined;
      chunks.push(chunk as Buffer);
    }
  } catch {
    return undefined;
  } finally {
    stream?.destroy();
  }
  return Buffer.concat(chunks, total);
}

/**
 * Resolves once a stream has data (or has ended) and rejects if it fails first, so a caller can
 * refuse a missing or damaged blob before it commits to a response or an archive entry. Removing the
 * 'readable' listener afterwards lets a later pipe() switch the stream to flowing.
 */
export function untilReadable(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const onReadable = () => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (err: Error) => {
      stream.off('readable', onReadable);
      reject(err);
    };
    stream.once('readable', onReadable);
    stream.once('error', onError);
  });
}
