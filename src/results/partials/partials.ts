import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
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
 *
 * Small spools travel in the index itself (`text`), up to INLINE_BYTES per partial: most features
 * hold a few rows for a subject, and a blob per dataset cost more (files created, written, closed
 * and renamed, a key derived per blob when encrypted) than the rows.
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
    /** The spool's lines themselves, for a small one: then no blob lies under `key`, which names it in messages. */
    text: Type.Optional(Type.String()),
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
  const take = (bytes: Buffer, start: number, end: number) => {
    lineNumber += 1;
    if (end > start) batch.push(parse(bytes.toString('utf8', start, end), lineNumber));
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

/** A spool's bytes: its text in the index, or its blob, then the blobs that continue it. */
export async function* spoolBytes(store: BlobStore, spool: SpoolEntry): AsyncGenerator<Buffer> {
  if (spool.text !== undefined) {
    yield Buffer.from(spool.text, 'utf8');
    return;
  }
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
  const bytes = await readIndexBytes(store, key);
  if (bytes === undefined) return undefined;
  let index: unknown;
  try {
    index = JSON.parse(bytes.toString('utf8'));
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
    if (spool.text !== undefined && (spool.continued !== undefined || Buffer.byteLength(spool.text, 'utf8') !== spool.bytes)) {
      throw new PartialReadError(`partial index ${key} has a spool text that does not match its entry`);
    }
  }
  return index;
}

/** An index this large is read as a stream rather than whole. */
const WHOLE_INDEX_BYTES = 1024 * 1024;

/** The index's bytes in one read where it is small, as it nearly always is; undefined when there is none. */
async function readIndexBytes(store: BlobStore, key: string): Promise<Buffer | undefined> {
  const whole = await store.readWhole(key, WHOLE_INDEX_BYTES);
  if (whole) return whole;
  if ((await store.size(key)) === undefined) return undefined;
  return buffer(store.get(key));
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Datasets per partial: more is an adapter gone wrong, and each open spool holds a file open. */
const MAX_SPOOLS = 64;
/** Columns guessed for a dataset the adapter did not describe; bounded so odd rows cannot grow it. */
const MAX_GUESSED_COLUMNS = 100;
/** Bytes of spool a partial carries in its index (one encrypted segment); larger spools get blobs. */
export const INLINE_BYTES = 64 * 1024;

function spoolPrefix(partialKey: string): string {
  return `${partialKey}.datasets`;
}

/** Where a partial's index goes; written last, so a partial without one is not complete. */
function indexKey(partialKey: string): string {
  return `${spoolPrefix(partialKey)}/index.json`;
}

/** What is left of a partial's inline bytes, shared by its spools (first come, first served). */
interface Budget {
  left: number;
}

/**
 * Where one spool's bytes go: held in memory while the partial's budget lasts (the index then
 * carries them), else into the spool's blob, what was held written first.
 */
class SpoolSink {
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** The blob, once opened; `ready` once what was held is written to it, in order. */
  private blob: BlobWriter | undefined;
  private ready = false;
  private opening: Promise<void> | undefined;
  /** The blob's stream failed: a write now would wait for a drain that never comes. */
  private failure: unknown;

  constructor(
    private readonly openBlob: (key: string) => Promise<BlobWriter>,
    readonly key: string,
    private readonly budget: Budget,
  ) {}

  /** Returns a promise only when the caller must wait: the blob being opened, or its stream full. */
  write(chunk: Buffer): Promise<void> | undefined {
    if (this.ready) return this.send(chunk);
    if (!this.opening && chunk.length <= this.budget.left) {
      // A copy: the chunk may be a view of a much larger buffer.
      this.held.push(Buffer.from(chunk));
      this.heldBytes += chunk.length;
      this.budget.left -= chunk.length;
      return undefined;
    }
    this.held.push(chunk);
    this.opening ??= this.open();
    return this.opening;
  }

  /** The spool's text if it stayed in memory and may be `inline`, else its blob committed. */
  async commit(inline: boolean): Promise<string | undefined> {
    await this.opening;
    if (!this.blob && inline) {
      const text = Buffer.concat(this.held).toString('utf8');
      // Bytes that are not UTF-8 would not come back as they were: they keep their blob.
      if (Buffer.byteLength(text, 'utf8') === this.heldBytes) return text;
    }
    if (!this.blob) {
      this.opening = this.open();
      await this.opening;
    }
    await this.blob!.commit();
    return undefined;
  }

  async abort(): Promise<void> {
    await this.opening?.catch(() => undefined);
    await this.blob?.abort();
  }

  private async open(): Promise<void> {
    this.blob = await this.openBlob(this.key);
    this.blob.stream.once('error', (err) => {
      this.failure = err;
    });
    this.budget.left += this.heldBytes;
    this.heldBytes = 0;
    // Writes that come meanwhile join the held ones, so every byte goes out in order.
    while (this.held.length > 0) await this.send(this.held.shift()!);
    this.ready = true;
  }

  /** Writes to the blob; a promise only when its stream is full, settled once it drains. */
  private send(chunk: Buffer): Promise<void> | undefined {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.blob!.stream.write(chunk)) return undefined;
    return once(this.blob!.stream, 'drain').then(() => undefined);
  }
}

interface Spool {
  entry: SpoolEntry;
  sink: SpoolSink;
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
  private readonly budget: Budget;
  private cleared: Promise<void> | undefined;

  constructor(
    private readonly store: BlobStore,
    private readonly partialKey: string,
    private readonly described: ReadonlySet<string>,
    inlineBytes: number,
  ) {
    this.budget = { left: inlineBytes };
  }

  /**
   * A spool's blob. The first of an attempt starts over: the index of an earlier attempt goes before
   * one of its spools can be overwritten, so that it stops counting. (A partial held in its index
   * alone replaces an earlier one at once, when its index is written.)
   */
  private readonly openBlob = async (key: string): Promise<BlobWriter> => {
    this.cleared ??= this.store.delete(indexKey(this.partialKey));
    await this.cleared;
    return this.store.writer(key);
  };

  /** Adds a record; returns a promise only when the caller has to wait (a spool's blob opened or flushed). */
  add(record: CollectedRecord): Promise<void> | undefined {
    const spool = this.spools.get(record.dataset) ?? this.open(record.dataset);
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

  private open(dataset: string): Spool {
    const key = this.nextSpoolKey(dataset);
    const entry: SpoolEntry = { key, rows: 0, bytes: 0, files: 0, fileBytes: 0 };
    const spool: Spool = { entry, sink: new SpoolSink(this.openBlob, key, this.budget), lines: new Utf8Chunks() };
    if (!this.described.has(dataset)) spool.columns = new Set();
    this.spools.set(dataset, spool);
    return spool;
  }

  private nextSpoolKey(dataset: string): string {
    if (this.serialized.has(dataset)) throw new Error(`dataset ${dataset} collected twice`);
    const opened = this.spools.size + this.serialized.size;
    if (opened >= MAX_SPOOLS) throw new Error(`more than ${MAX_SPOOLS} datasets in one feature`);
    return `${spoolPrefix(this.partialKey)}/${opened + 1}.ndjson`;
  }

  /**
   * Writes a dataset its store serialized, all parts at once: one part into the spool (inline if
   * small), several each into a blob of its own.
   */
  async addSerialized(rows: SerializedRows): Promise<void> {
    if (this.spools.has(rows.dataset)) throw new Error(`dataset ${rows.dataset} collected twice`);
    const first = this.nextSpoolKey(rows.dataset);
    const keys = rows.parts.map((_, i) => (i === 0 ? first : first.replace(/\.ndjson$/, `.${i + 1}.ndjson`)));
    this.serialized.set(rows.dataset, undefined);
    const inline = keys.length === 1;
    const sinks = keys.map((key) => new SpoolSink(this.openBlob, key, inline ? this.budget : { left: 0 }));
    try {
      const entry = await copyParts(rows.parts, sinks, first);
      // As for records: a dataset without rows has no spool.
      if (entry.rows === 0) {
        await Promise.all(sinks.map((sink) => sink.abort()));
        return;
      }
      const text = await sinks[0]!.commit(inline);
      for (const sink of sinks.slice(1)) await sink.commit(false);
      this.serialized.set(rows.dataset, text === undefined ? entry : { ...entry, text });
    } catch (err) {
      await Promise.all(sinks.map((sink) => sink.abort()));
      throw err;
    }
  }

  async commit(): Promise<SpoolIndex> {
    const index: SpoolIndex = { datasets: {} };
    for (const [dataset, entry] of this.serialized) if (entry) index.datasets[dataset] = entry;
    for (const [dataset, spool] of this.spools) {
      const rest: Buffer[] = [];
      spool.lines.flush(rest);
      await write(spool, rest);
      const text = await spool.sink.commit(true);
      index.datasets[dataset] = {
        ...spool.entry,
        ...(spool.columns && { columns: [...spool.columns] }),
        ...(text !== undefined && { text }),
      };
    }
    await this.store.put(indexKey(this.partialKey), JSON.stringify(index));
    return index;
  }

  async abort(): Promise<void> {
    for (const spool of this.spools.values()) await spool.sink.abort();
    this.spools.clear();
  }
}

interface LineCounts {
  rows: number;
  bytes: number;
}

/** COPY sends a row per chunk: they are gathered into blocks this large before a write. */
const BLOCK_BYTES = 256 * 1024;
/** The first block is smaller: most datasets of a subject are a few rows, and blocks are garbage once written. */
const FIRST_BLOCK_BYTES = 16 * 1024;

/** All parts at once, each into its sink; the spool's entry, once every part is in. */
async function copyParts(parts: SerializedPart[], sinks: SpoolSink[], key: string): Promise<SpoolEntry> {
  const copied = await Promise.allSettled(parts.map((part, i) => copyPart(sinks[i]!, part)));
  const failed = copied.find((c) => c.status === 'rejected');
  if (failed) throw failed.reason;
  const entry: SpoolEntry = { key, rows: 0, bytes: 0, files: 0, fileBytes: 0 };
  for (const c of copied) {
    const counts = (c as PromiseFulfilledResult<LineCounts>).value;
    entry.rows += counts.rows;
    entry.bytes += counts.bytes;
  }
  if (sinks.length > 1) entry.continued = sinks.slice(1).map((sink) => sink.key);
  return entry;
}

/** One part of a serialized dataset into its sink, its lines counted. */
async function copyPart(sink: SpoolSink, part: SerializedPart): Promise<LineCounts> {
  const counts: LineCounts = { rows: 0, bytes: 0 };
  await part((lines) => copyLines(lines, sink, counts));
  return counts;
}

/** Gathers a COPY's rows into blocks, each allocated once bytes come (an empty dataset costs none). */
function copyLines(lines: Readable, sink: SpoolSink, counts: LineCounts): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let block: Buffer | undefined;
    let blockBytes = FIRST_BLOCK_BYTES;
    let used = 0;
    const send = (bytes: Buffer) => {
      const wait = sink.write(bytes);
      if (!wait) return;
      lines.pause();
      wait.then(() => lines.resume(), reject);
    };
    const flush = () => {
      if (!block || used === 0) return;
      send(block.subarray(0, used));
      block = undefined;
      blockBytes = BLOCK_BYTES;
      used = 0;
    };
    lines.on('data', (chunk: Buffer) => {
      counts.bytes += chunk.length;
      counts.rows += countLines(chunk);
      if (used + chunk.length > blockBytes) flush();
      if (chunk.length > blockBytes) {
        send(chunk);
        return;
      }
      block ??= Buffer.allocUnsafe(blockBytes);
      used += chunk.copy(block, used);
    });
    lines.once('end', () => {
      flush();
      resolve();
    });
    lines.once('error', reject);
  });
}

async function write(spool: Spool, chunks: Buffer[]): Promise<void> {
  for (const chunk of chunks) {
    spool.entry.bytes += chunk.length;
    const wait = spool.sink.write(chunk);
    if (wait) await wait;
  }
}

export interface PartialOptions {
  /** Bytes of spool the index may carry (INLINE_BYTES); 0 gives every spool a blob. */
  inlineBytes?: number;
}

/** Streams records into a new partial under `key`; the rows per dataset, once it is complete. */
export async function writePartial(
  store: BlobStore,
  key: string,
  records: AsyncIterable<Collected> | Iterable<Collected>,
  datasets: readonly DatasetDescription[],
  options: PartialOptions = {},
): Promise<Record<string, number>> {
  const writer = new PartialWriter(store, key, new Set(datasets.map((d) => d.name)), options.inlineBytes ?? INLINE_BYTES);
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
