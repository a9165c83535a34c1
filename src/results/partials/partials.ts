import { once } from 'node:events';
import type { Readable } from 'node:stream';
import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import type { BlobStore, BlobWriter } from '../../blobs/blob-store.js';
import { countLines, isFileRef, LineSplitter } from './spool-lines.js';
import { Utf8Chunks } from '../utf8-chunks.js';
import {
  isSerializedRows,
  RowJson,
  rowValues,
  type Collected,
  type CollectedRecord,
  type DatasetDescription,
  type FileRef,
  type Row,
  type SerializedPart,
  type SerializedRows,
} from '../../features/adapter.js';

/**
 * The per-feature partials: what a feature task collected, read by the result assembly.
 *
 * A partial is one spool per dataset (`<partial>.datasets/<n>.ndjson`) plus an `index.json` with
 * each dataset's rows, files and bytes, so the assembly knows what the archive will hold without
 * reading a row, and every pass over one dataset reads that dataset's lines only. A spool line is
 * the row's JSON, followed, for a row with a file, by a tab and the file reference's JSON (a tab
 * never occurs unescaped in JSON): an export's JSON file is then the lines themselves. A dataset its
 * store serialized in parts (SerializedRows) keeps each part in a blob of its own: the spool is those
 * blobs one after the other. Lines are read a chunk at a time, so memory stays flat however many
 * rows a feature holds.
 */

/** A record as read back from a partial: its row's values parsed. */
export interface PartialRecord {
  dataset: string;
  row: Row;
  file?: FileRef;
}

/** The partial itself is unusable (missing blob or index, malformed line); the feature's data cannot be shown. */
export class PartialReadError extends Error {}

const Count = Type.Integer({ minimum: 0 });
const BlobKey = Type.String({ minLength: 1 });

/** What the index says about one dataset's spool. */
const SpoolEntry = Type.Object(
  {
    key: BlobKey,
    /** Blobs that continue the spool, in order: the parts of a dataset its store serialized side by side. */
    continued: Type.Optional(Type.Array(BlobKey)),
    rows: Count,
    /** Bytes of the spool: about the size of the dataset's JSON and CSV files. */
    bytes: Count,
    /** Rows with a file, and those files' bytes as the feature recorded them. */
    files: Count,
    fileBytes: Count,
    /** For a dataset the adapter did not describe: the columns its rows had (bounded). */
    columns: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type SpoolEntry = Static<typeof SpoolEntry>;

const SpoolIndex = Type.Object({ datasets: Type.Record(Type.String(), SpoolEntry) }, { additionalProperties: false });
export type SpoolIndex = Static<typeof SpoolIndex>;
const checkSpoolIndex = Compile(SpoolIndex);

// ---------------------------------------------------------------------------------------------
// Reading

type ParseLine = (line: string, lineNumber: number) => PartialRecord;

/**
 * The records of a spool a chunk at a time: one await per chunk (~64 KiB) rather than several per
 * row, which is what a row-by-row generator chain costs. Lines are split on LF (a CR before it is
 * dropped) and decoded one by one, so a character split between chunks is never cut.
 */
async function* readBatches(name: string, open: () => AsyncIterable<Buffer>, parse: ParseLine): AsyncGenerator<PartialRecord[]> {
  let input: AsyncIterable<Buffer>;
  try {
    input = open();
  } catch (err) {
    throw new PartialReadError(`partial ${name} cannot be opened`, { cause: err });
  }
  let lineNumber = 0;
  let batch: PartialRecord[] = [];
  const take = (line: Buffer) => {
    lineNumber += 1;
    if (line.length > 0) batch.push(parse(line.toString('utf8'), lineNumber));
  };
  const lines = new LineSplitter();
  try {
    // Leaving the loop early (an error, a consumer that stops) destroys the stream.
    for await (const chunk of input) {
      lines.push(chunk, take);
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
    }
    lines.end(take);
    if (batch.length > 0) yield batch;
  } catch (err) {
    if (err instanceof PartialReadError) throw err;
    throw new PartialReadError(`partial ${name} cannot be read`, { cause: err });
  }
}

/** A spool's bytes: its blob, then the blobs that continue it. */
export async function* spoolBytes(store: BlobStore, spool: SpoolEntry): AsyncGenerator<Buffer> {
  for (const key of [spool.key, ...(spool.continued ?? [])]) yield* store.get(key) as AsyncIterable<Buffer>;
}

/** The records of one dataset of a partial, given its index (the assembly reads it once per feature). */
export async function* readDataset(store: BlobStore, index: SpoolIndex, dataset: string): AsyncGenerator<PartialRecord> {
  // Every dataset with rows has its spool: none, no rows.
  const spool = index.datasets[dataset];
  if (!spool) return;
  const batches = readBatches(spool.key, () => spoolBytes(store, spool), (line, n) => parseSpoolLine(line, dataset, spool.key, n));
  for await (const batch of batches) yield* batch;
}

// Messages name the partial and line only: the line itself is personal data and must not reach logs.
function parseSpoolLine(line: string, dataset: string, key: string, lineNumber: number): PartialRecord {
  const tab = line.indexOf('\t');
  const row = parseJson(tab === -1 ? line : line.slice(0, tab), key, lineNumber);
  const file = tab === -1 ? undefined : parseJson(line.slice(tab + 1), key, lineNumber);
  if (!isObject(row) || (file !== undefined && !isFileRef(file))) {
    throw new PartialReadError(`partial ${key} line ${lineNumber} is not a collected row`);
  }
  const record: PartialRecord = { dataset, row: row as Row };
  if (file !== undefined) record.file = file;
  return record;
}

function parseJson(text: string, key: string, lineNumber: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PartialReadError(`partial ${key} line ${lineNumber} is not JSON`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A partial's index; undefined when there is none (the task wrote no partial, or failed before its
 * commit). A PartialReadError when it is not JSON, does not match its schema, or names a spool
 * outside its partial: the index is bytes read back from storage.
 */
export async function readSpoolIndex(store: BlobStore, partialKey: string): Promise<SpoolIndex | undefined> {
  const key = indexKey(partialKey);
  if ((await store.size(key)) === undefined) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of store.get(key) as AsyncIterable<Buffer>) chunks.push(chunk);
  let index: unknown;
  try {
    index = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new PartialReadError(`partial index ${key} is not JSON`);
  }
  if (!checkSpoolIndex.Check(index)) {
    const [first] = checkSpoolIndex.Errors(index);
    throw new PartialReadError(`partial index ${key} is malformed: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trim());
  }
  const prefix = `${spoolPrefix(partialKey)}/`;
  for (const spool of Object.values(index.datasets)) {
    if (![spool.key, ...(spool.continued ?? [])].every((k) => k.startsWith(prefix))) {
      throw new PartialReadError(`partial index ${key} names a spool outside its partial`);
    }
  }
  return index;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Datasets per partial: more is an adapter gone wrong, and each open spool holds a file open. */
const MAX_SPOOLS = 64;
/** Columns guessed for a dataset the adapter did not describe; bounded so odd rows cannot grow it. */
const MAX_GUESSED_COLUMNS = 100;

function spoolPrefix(partialKey: string): string {
  return `${partialKey}.datasets`;
}

/** Where a partial's index goes; written last, so a partial without one is not complete. */
function indexKey(partialKey: string): string {
  return `${spoolPrefix(partialKey)}/index.json`;
}

interface Spool {
  entry: SpoolEntry;
  writer: BlobWriter;
  lines: Utf8Chunks;
  columns?: Set<string>;
}

/**
 * Writes a partial: each record's line into its dataset's spool, counting rows, files and bytes.
 * Nothing is visible to readers until `commit` has written the index.
 */
class PartialWriter {
  private readonly spools = new Map<string, Spool>();
  /** Datasets the store serialized, written whole (or found empty: undefined). */
  private readonly serialized = new Map<string, SpoolEntry | undefined>();
  /** Chunks a line filled up, on their way to the spool's stream. */
  private readonly full: Buffer[] = [];

  private constructor(
    private readonly store: BlobStore,
    private readonly partialKey: string,
    private readonly described: ReadonlySet<string>,
  ) {}

  /** Starts over: the spools of an earlier attempt stop counting before anything is written. */
  static async start(store: BlobStore, partialKey: string, described: Iterable<string>): Promise<PartialWriter> {
    await store.delete(indexKey(partialKey));
    return new PartialWriter(store, partialKey, new Set(described));
  }

  /** Adds a record; returns a promise only when the caller has to wait (a spool opened or flushed). */
  add(record: CollectedRecord): Promise<void> | undefined {
    const spool = this.spools.get(record.dataset);
    if (!spool) return this.open(record);
    const row = record.row instanceof RowJson ? record.row.text : JSON.stringify(record.row);
    spool.lines.add(record.file ? `${row}\t${JSON.stringify(record.file)}\n` : `${row}\n`, this.full);
    spool.entry.rows += 1;
    if (record.file) {
      spool.entry.files += 1;
      spool.entry.fileBytes += Math.max(0, record.file.size);
    }
    if (spool.columns && spool.columns.size < MAX_GUESSED_COLUMNS) {
      for (const column of Object.keys(rowValues(record)).slice(0, MAX_GUESSED_COLUMNS - spool.columns.size)) spool.columns.add(column);
    }
    return this.full.length > 0 ? write(spool, this.full.splice(0)) : undefined;
  }

  private async open(record: CollectedRecord): Promise<void> {
    const key = this.nextSpoolKey(record.dataset);
    const entry: SpoolEntry = { key, rows: 0, bytes: 0, files: 0, fileBytes: 0 };
    const spool: Spool = { entry, writer: await this.store.writer(key), lines: new Utf8Chunks() };
    if (!this.described.has(record.dataset)) spool.columns = new Set();
    this.spools.set(record.dataset, spool);
    await this.add(record);
  }

  private nextSpoolKey(dataset: string): string {
    if (this.serialized.has(dataset)) throw new Error(`dataset ${dataset} collected twice`);
    const opened = this.spools.size + this.serialized.size;
    if (opened >= MAX_SPOOLS) throw new Error(`more than ${MAX_SPOOLS} datasets in one feature`);
    return `${spoolPrefix(this.partialKey)}/${opened + 1}.ndjson`;
  }

  /** Writes a dataset its store serialized, each part into a blob of its own, all parts at once. */
  async addSerialized(rows: SerializedRows): Promise<void> {
    if (this.spools.has(rows.dataset)) throw new Error(`dataset ${rows.dataset} collected twice`);
    const first = this.nextSpoolKey(rows.dataset);
    const keys = rows.parts.map((_, i) => (i === 0 ? first : first.replace(/\.ndjson$/, `.${i + 1}.ndjson`)));
    this.serialized.set(rows.dataset, undefined);
    const copied = await Promise.allSettled(rows.parts.map((part, i) => copyPart(this.store, keys[i]!, part)));
    const failed = copied.find((c) => c.status === 'rejected');
    if (failed) throw failed.reason;
    const counts = copied.map((c) => (c as PromiseFulfilledResult<LineCounts>).value);
    const entry: SpoolEntry = { key: first, rows: 0, bytes: 0, files: 0, fileBytes: 0 };
    for (const c of counts) {
      entry.rows += c.rows;
      entry.bytes += c.bytes;
    }
    if (keys.length > 1) entry.continued = keys.slice(1);
    // As for records: a dataset without rows has no spool.
    if (entry.rows === 0) for (const key of keys) await this.store.delete(key);
    this.serialized.set(rows.dataset, entry.rows > 0 ? entry : undefined);
  }

  async commit(): Promise<SpoolIndex> {
    const index: SpoolIndex = { datasets: {} };
    for (const [dataset, entry] of this.serialized) if (entry) index.datasets[dataset] = entry;
    for (const [dataset, spool] of this.spools) {
      const rest: Buffer[] = [];
      spool.lines.flush(rest);
      await write(spool, rest);
      await spool.writer.commit();
      index.datasets[dataset] = spool.columns ? { ...spool.entry, columns: [...spool.columns] } : spool.entry;
    }
    await this.store.put(indexKey(this.partialKey), JSON.stringify(index));
    return index;
  }

  async abort(): Promise<void> {
    for (const spool of this.spools.values()) await spool.writer.abort();
    this.spools.clear();
  }
}

interface LineCounts {
  rows: number;
  bytes: number;
}

/** COPY sends a row per chunk: they are gathered into blocks this large before a write. */
const BLOCK_BYTES = 256 * 1024;

/** One part of a serialized dataset into its blob: its lines counted, its bytes written in blocks. */
async function copyPart(store: BlobStore, key: string, part: SerializedPart): Promise<LineCounts> {
  const writer = await store.writer(key);
  const counts: LineCounts = { rows: 0, bytes: 0 };
  try {
    await part((lines) => copyLines(lines, writer.stream, counts));
    await writer.commit();
    return counts;
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

function copyLines(lines: Readable, out: NodeJS.WritableStream, counts: LineCounts): Promise<void> {
  let block = Buffer.allocUnsafe(BLOCK_BYTES);
  let used = 0;
  const send = (bytes: Buffer) => {
    if (!out.write(bytes)) {
      lines.pause();
      out.once('drain', () => lines.resume());
    }
  };
  const flush = () => {
    if (used === 0) return;
    send(block.subarray(0, used));
    block = Buffer.allocUnsafe(BLOCK_BYTES);
    used = 0;
  };
  return new Promise<void>((resolve, reject) => {
    lines.on('data', (chunk: Buffer) => {
      counts.bytes += chunk.length;
      counts.rows += countLines(chunk);
      if (used + chunk.length > BLOCK_BYTES) flush();
      if (chunk.length > BLOCK_BYTES) send(chunk);
      else used += chunk.copy(block, used);
    });
    lines.once('end', () => {
      flush();
      resolve();
    });
    lines.once('error', reject);
    out.once('error', reject);
  });
}

async function write(spool: Spool, chunks: Buffer[]): Promise<void> {
  for (const chunk of chunks) {
    spool.entry.bytes += chunk.length;
    if (!spool.writer.stream.write(chunk)) await once(spool.writer.stream, 'drain');
  }
}

/** Streams records into a new partial under `key`; the rows per dataset, once it is complete. */
export async function writePartial(
  store: BlobStore,
  key: string,
  records: AsyncIterable<Collected> | Iterable<Collected>,
  datasets: readonly DatasetDescription[],
): Promise<Record<string, number>> {
  const writer = await PartialWriter.start(store, key, datasets.map((d) => d.name));
  let index: SpoolIndex;
  try {
    for await (const item of records) {
      const wait = isSerializedRows(item) ? writer.addSerialized(item) : writer.add(item);
      if (wait) await wait;
    }
    index = await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const counts: Record<string, number> = Object.fromEntries(datasets.map((d) => [d.name, 0]));
  for (const [name, entry] of Object.entries(index.datasets)) counts[name] = entry.rows;
  return counts;
}
