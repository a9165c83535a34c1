import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { BlobStore } from '../../blobs/blob-store.js';

/**
 * Serves single entries of a stored archive, so the access report can be viewed online exactly as
 * it is in the zip (its links are relative, nothing is rewritten). The zip is read in place through
 * range reads on the results store (local, S3, encrypted alike): the central directory to find the
 * entry, then only that entry's bytes.
 */

export interface ArchiveEntryContent {
  /** The entry's uncompressed bytes. */
  stream: Readable;
  size: number;
  /** From the name; `text/html; charset=utf-8` for the report's pages. */
  mediaType: string;
  /**
   * `inline` for the report's own pages and for media the report shows (images, audio, video, PDF,
   * plain text); `attachment` for other files the subject uploaded (an HTML or SVG file among them
   * must not open as a page of the service's origin).
   */
  disposition: 'inline' | 'attachment';
}

/**
 * The entry at `path` (as in the zip: `index.html`, `pages/im-messages-2.html`, `files/...`, not
 * URL-encoded) of the archive stored under `key`; undefined when the archive or the entry does not
 * exist, or `path` is not a plain relative path.
 */
export async function readArchiveEntry(results: BlobStore, key: string, path: string): Promise<ArchiveEntryContent | undefined> {
  if (!isPlainPath(path)) return undefined;
  const size = await results.size(key);
  if (size === undefined) return undefined;
  const zip = await yauzl.fromRandomAccessReaderPromise(new BlobReader(results, key, size), size, {
    lazyEntries: true,
    autoClose: false,
    strictFileNames: true,
  });
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== path) continue;
      const stream = await zip.openReadStreamPromise(entry);
      return { stream, size: entry.uncompressedSize, ...presentation(path) };
    }
    return undefined;
  } finally {
    // An entry's open stream keeps the reader until it has been read.
    zip.close();
  }
}

function isPlainPath(path: string): boolean {
  const parts = path.split('/');
  return path !== '' && !path.includes('\\') && parts.every((part) => part !== '' && part !== '.' && part !== '..');
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  md: 'text/plain; charset=utf-8',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  ogg: 'audio/ogg',
  mp4: 'video/mp4',
  pdf: 'application/pdf',
};

function presentation(path: string): Pick<ArchiveEntryContent, 'mediaType' | 'disposition'> {
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? '';
  const mediaType = TYPES[extension] ?? 'application/octet-stream';
  const report = !path.startsWith('files/');
  const shown = mediaType !== 'application/octet-stream' && !mediaType.startsWith('text/html');
  return { mediaType, disposition: report || shown ? 'inline' : 'attachment' };
}

// Reads of the central directory are small and many (one per entry); fetching the archive in
// blocks, a few kept, turns them into a handful of range requests. Entry data streams straight.
const BLOCK_SIZE = 256 * 1024;
const BLOCKS_KEPT = 4;

class BlobReader extends yauzl.RandomAccessReader {
  private readonly blocks = new Map<number, Promise<Buffer>>();

  constructor(
    private readonly store: BlobStore,
    private readonly key: string,
    private readonly size: number,
  ) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    if (end - start >= BLOCK_SIZE) return this.store.get(this.key, { start, end: end - 1 });
    return Readable.from(this.cached(start, end), { objectMode: false });
  }

  private async *cached(start: number, end: number): AsyncGenerator<Buffer> {
    for (let n = Math.floor(start / BLOCK_SIZE); n * BLOCK_SIZE < end; n += 1) {
      const block = await this.block(n);
      const offset = n * BLOCK_SIZE;
      yield block.subarray(Math.max(start - offset, 0), Math.min(end - offset, block.length));
    }
  }

  private block(n: number): Promise<Buffer> {
    let block = this.blocks.get(n);
    if (!block) {
      const start = n * BLOCK_SIZE;
      block = readAll(this.store.get(this.key, { start, end: Math.min(start + BLOCK_SIZE, this.size) - 1 }));
      // A failed read is not kept: the error reaches this reader's caller, a later read tries again.
      block.catch(() => this.blocks.delete(n));
      this.blocks.set(n, block);
      if (this.blocks.size > BLOCKS_KEPT) this.blocks.delete(this.blocks.keys().next().value!);
    }
    return block;
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
