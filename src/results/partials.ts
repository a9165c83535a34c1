import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { BlobStore, BlobWriter } from '../blobs/blob-store.js';
import type { CollectedRecord, FileRef } from '../features/adapter.js';

/**
 * Reading the per-feature partials the worker wrote: NDJSON, one CollectedRecord per line.
 * Lines are read one at a time, so memory stays flat however many rows a feature holds; the
 * assembler reads a partial several times rather than keep any of it.
 *
 * The first pass of an assembly also splits each partial into one spool per dataset
 * (`<partial>.datasets/<n>.ndjson`, the raw lines, plus `index.json`), so that every later pass
 * for one dataset reads that dataset's lines only, not the whole partial again. `readDataset` uses
 * the spools when they exist and falls back to filtering the partial when they do not.
 */

/** The partial itself is unusable (missing blob, malformed line); the feature's data cannot be shown. */
export class PartialReadError extends Error {}

export interface PartialLine {
  record: CollectedRecord;
  /** The line as stored (without its line break). */
  line: string;
}

/** Every record of a partial, in the order the adapter collected them. No key means no rows. */
export async function* readPartial(store: BlobStore, key: string | null): AsyncGenerator<CollectedRecord> {
  for await (const batch of readBatches(store, key)) yield* batch.records;
}

/** Every record of a partial with the line it was read from. */
export async function* readPartialLines(store: BlobStore, key: string | null): AsyncGenerator<PartialLine> {
  for await (const { records, lines } of readBatches(store, key)) {
    for (let i = 0; i < records.length; i += 1) yield { record: records[i]!, line: lines[i]! };
  }
}

/** The records of a partial and their lines, a chunk of the blob at a time (see readBatches). */
export function readPartialBatches(store: BlobStore, key: string | null): AsyncGenerator<PartialBatch> {
  return readBatches(store, key);
}

export interface PartialBatch {
  records: CollectedRecord[];
  lines: string[];
}

type Batch = PartialBatch;

/**
 * The records of a partial a chunk at a time: one await per chunk of the blob (~64 KiB) rather
 * than several per row, which is what a row-by-row generator chain costs. Lines are split on LF
 * (a CR before it is dropped) and decoded one by one, so a character split between chunks is
 * never cut.
 */
async function* readBatches(store: BlobStore, key: string | null, only?: string): AsyncGenerator<Batch> {
  if (key === null) return;
  let input: Readable;
  try {
    input = store.get(key);
  } catch (err) {
    throw new PartialReadError(`partial ${key} cannot be opened`, { cause: err });
  }
  let lineNumber = 0;
  let batch: Batch = { records: [], lines: [] };
  const take = (line: string) => {
    lineNumber += 1;
    if (line.trim() === '') return;
    const record = parseRecord(line, key, lineNumber);
    if (only !== undefined && record.dataset !== only) return;
    batch.records.push(record);
    batch.lines.push(line);
  };
  try {
    let pending: Buffer[] = [];
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let start = 0;
      let newline = chunk.indexOf(10);
      while (newline !== -1) {
        let line: Buffer = chunk.subarray(start, newline);
        if (pending.length > 0) {
          line = Buffer.concat([...pending, line]);
          pending = [];
        }
        take(line.toString('utf8', 0, line.length > 0 && line[line.length - 1] === 13 ? line.length - 1 : line.length));
        start = newline + 1;
        newline = chunk.indexOf(10, start);
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
      if (batch.records.length > 0) {
        yield batch;
        batch = { records: [], lines: [] };
      }
    }
    if (pending.length > 0) {
      const line = Buffer.concat(pending);
      take(line.toString('utf8', 0, line[line.length - 1] === 13 ? line.length - 1 : line.length));
    }
    if (batch.records.length > 0) yield batch;
  } catch (err) {
    if (err instanceof PartialReadError) throw err;
    throw new PartialReadError(`partial ${key} cannot be read`, { cause: err });
  } finally {
    input.destroy();
  }
}

/** The records of one dataset, from its spool when the partial was split, else by filtering the partial. */
export async function* readDataset(
  store: BlobStore,
  key: string | null,
  dataset: string,
): AsyncGenerator<CollectedRecord> {
  if (key === null) return;
  const index = await readSpoolIndex(store, key);
  const spool = index?.datasets[dataset];
  // Every dataset of the partial has its spool when the index is complete: no spool, no rows.
  if (!spool && index?.complete) return;
  for await (const batch of spool ? readBatches(store, spool.key) : readBatches(store, key, dataset)) {
    yield* batch.records;
  }
}

// Messages name the partial and line only: the line itself is personal data and must not reach logs.
function parseRecord(line: string, key: string, lineNumber: number): CollectedRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new PartialReadError(`partial ${key} line ${lineNumber} is not JSON`);
  }
  if (!isRecord(value)) throw new PartialReadError(`partial ${key} line ${lineNumber} is not a collected record`);
  return value;
}

function isRecord(value: unknown): value is CollectedRecord {
  if (!isObject(value) || typeof value.dataset !== 'string' || !isObject(value.row)) return false;
  return value.file === undefined || isFileRef(value.file);
}

function isFileRef(value: unknown): value is FileRef {
  return (
    isObject(value) &&
    typeof value.blobKey === 'string' &&
    typeof value.name === 'string' &&
    typeof value.mediaType === 'string' &&
    typeof value.size === 'number'
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Per-dataset spools

export interface SpoolIndex {
  /** True when every dataset of the partial has a spool; a dataset not listed then has no rows. */
  complete: boolean;
  datasets: Record<string, { key: string; rows: number; bytes: number }>;
}

/** Spools per partial: datasets beyond this (an adapter gone wrong) are read from the partial instead. */
const MAX_SPOOLS = 32;
const SPOOL_CHUNK = 64 * 1024;

function spoolPrefix(partialKey: string): string {
  return `${partialKey}.datasets`;
}

function indexKey(partialKey: string): string {
  return `${spoolPrefix(partialKey)}/index.json`;
}

async function readSpoolIndex(store: BlobStore, partialKey: string): Promise<SpoolIndex | undefined> {
  const key = indexKey(partialKey);
  if ((await store.size(key)) === undefined) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of store.get(key) as AsyncIterable<Buffer>) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as SpoolIndex;
}

interface Spool {
  key: string;
  writer: BlobWriter;
  pending: string[];
  pendingLength: number;
  rows: number;
  bytes: number;
}

/**
 * Writes the lines of one partial into a spool per dataset, during a pass that reads the partial
 * anyway. Nothing is visible to readDataset until `commit` has written the index.
 */
export class DatasetSpools {
  private readonly spools = new Map<string, Spool>();
  private complete = true;

  private constructor(
    private readonly store: BlobStore,
    private readonly partialKey: string,
  ) {}

  /** Starts over: the spools of an earlier attempt stop counting before anything is written. */
  static async start(store: BlobStore, partialKey: string): Promise<DatasetSpools> {
    await store.delete(indexKey(partialKey));
    return new DatasetSpools(store, partialKey);
  }

  /** Adds a line; returns a promise only when the caller has to wait (a spool opened or flushed). */
  add(dataset: string, line: string): Promise<void> | undefined {
    const spool = this.spools.get(dataset);
    if (!spool) return this.open(dataset, line);
    spool.pending.push(line, '\n');
    spool.pendingLength += line.length + 1;
    spool.rows += 1;
    return spool.pendingLength >= SPOOL_CHUNK ? flush(spool) : undefined;
  }

  private async open(dataset: string, line: string): Promise<void> {
    if (this.spools.size >= MAX_SPOOLS) {
      this.complete = false;
      return;
    }
    const key = `${spoolPrefix(this.partialKey)}/${this.spools.size + 1}.ndjson`;
    const spool: Spool = { key, writer: await this.store.writer(key), pending: [], pendingLength: 0, rows: 0, bytes: 0 };
    this.spools.set(dataset, spool);
    await this.add(dataset, line);
  }

  async commit(): Promise<SpoolIndex> {
    const index: SpoolIndex = { complete: this.complete, datasets: {} };
    for (const [dataset, spool] of this.spools) {
      await flush(spool);
      await spool.writer.commit();
      index.datasets[dataset] = { key: spool.key, rows: spool.rows, bytes: spool.bytes };
    }
    await this.store.put(indexKey(this.partialKey), JSON.stringify(index));
    return index;
  }

  async abort(): Promise<void> {
    for (const spool of this.spools.values()) await spool.writer.abort();
    this.spools.clear();
  }
}

async function flush(spool: Spool): Promise<void> {
  if (spool.pending.length === 0) return;
  const chunk = Buffer.from(spool.pending.join(''), 'utf8');
  spool.pending = [];
  spool.pendingLength = 0;
  spool.bytes += chunk.length;
  if (!spool.writer.stream.write(chunk)) await once(spool.writer.stream, 'drain');
}
