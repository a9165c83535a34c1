import { Readable } from 'node:stream';
import { InvalidBlobKeyError, type BlobStore } from '../blobs/blob-store.js';
import type { FileRef } from '../features/adapter.js';
import type { ZipArchive } from './archive.js';
import { FileNumbering } from './file-names.js';
import { isAlreadyCompressed } from './media.js';
import { DatasetSpools, PartialReadError, readDataset, readPartialLines } from './partials.js';
import type { DatasetSummary, FeatureSection } from './report-model.js';

/**
 * The two passes every archive starts with, shared by access and export:
 * 1. `prepareSections` reads each partial once: it tallies rows and files per dataset, splits the
 *    partial into per-dataset spools (so later passes read one dataset's lines, not the whole
 *    partial again) and sums up how much the archive will hold, to decide on parts before writing;
 * 2. `copyFiles` copies the original files into the archive, one open stream at a time, and notes
 *    which are missing. It runs before the reports are written so they can say so.
 */

/** Columns guessed for a dataset the adapter did not describe; bounded so odd rows cannot grow it. */
const MAX_GUESSED_COLUMNS = 100;

interface Tally {
  rows: number;
  files: number;
  columns: Set<string>;
}

/** What the archive will hold, as far as the partials tell before anything is written. */
export interface ArchiveEstimate {
  /** Files referenced by rows, and their bytes as recorded by the features. */
  files: number;
  fileBytes: number;
  /** Bytes of collected rows (NDJSON): each text output of a dataset (JSON, CSV, HTML) is about as large or less. */
  rowBytes: number;
}

/** A dataset's bytes in the partial: a size hint for the JSON and CSV entries made from it. */
const datasetBytes = new WeakMap<DatasetSummary, number>();

export function datasetSizeHint(dataset: DatasetSummary): number | undefined {
  return datasetBytes.get(dataset);
}

export async function prepareSections(sections: FeatureSection[], results: BlobStore): Promise<ArchiveEstimate> {
  const estimate: ArchiveEstimate = { files: 0, fileBytes: 0, rowBytes: 0 };
  for (const section of sections) {
    if (section.status !== 'completed') continue;
    await prepareSection(section, results, estimate);
  }
  return estimate;
}

async function prepareSection(section: FeatureSection, results: BlobStore, estimate: ArchiveEstimate): Promise<void> {
  const key = section.task.partialKey;
  const tallies = new Map<string, Tally>();
  const spools = key === null ? undefined : await DatasetSpools.start(results, key);
  let files = 0;
  let fileBytes = 0;
  let rowBytes = 0;
  try {
    for await (const { record, line } of readPartialLines(results, key)) {
      const tally = tallyRow(tallies, record.dataset, record.row);
      await spools?.add(record.dataset, line);
      rowBytes += line.length + 1;
      if (!record.file) continue;
      tally.files += 1;
      files += 1;
      fileBytes += Math.max(0, record.file.size);
    }
    const index = await spools?.commit();
    // The spools count bytes; the lines' lengths are a fallback in characters.
    if (index?.complete) rowBytes = Object.values(index.datasets).reduce((sum, d) => sum + d.bytes, 0);
    section.datasets = summarize(section, tallies);
    for (const dataset of section.datasets) {
      datasetBytes.set(dataset, index?.datasets[dataset.description.name]?.bytes ?? 0);
    }
  } catch (err) {
    await spools?.abort();
    if (!(err instanceof PartialReadError)) throw err;
    // Only this feature is affected: report it as failed instead of failing the whole result.
    section.status = 'failed';
    section.error = 'the collected data could not be read';
    return;
  }
  estimate.files += files;
  estimate.fileBytes += fileBytes;
  estimate.rowBytes += rowBytes;
}

export async function copyFiles(
  archive: ZipArchive,
  sections: FeatureSection[],
  results: BlobStore,
  featureBlobs: BlobStore,
): Promise<void> {
  for (const section of sections) {
    if (section.status !== 'completed') continue;
    await copySectionFiles(archive, section, results, featureBlobs);
  }
}

/** Both passes in one call, for callers that do not split archives. */
export async function copyFilesAndTally(
  archive: ZipArchive,
  sections: FeatureSection[],
  results: BlobStore,
  featureBlobs: BlobStore,
): Promise<ArchiveEstimate> {
  const estimate = await prepareSections(sections, results);
  await copyFiles(archive, sections, results, featureBlobs);
  return estimate;
}

/**
 * Dataset by dataset (FileNumbering numbers per dataset in collection order, so every pass
 * finds the same paths), reading only the datasets that have files.
 */
async function copySectionFiles(
  archive: ZipArchive,
  section: FeatureSection,
  results: BlobStore,
  featureBlobs: BlobStore,
): Promise<void> {
  const readAhead = new ReadAhead(filesOf(section, results), featureBlobs);
  try {
    for await (const file of readAhead) {
      if (!file.source) {
        section.missingFiles.set(file.path, file.ref);
        continue;
      }
      const { mediaType, size } = file.ref;
      const compress = file.compressible;
      await archive.add(file.path, file.source, { mediaType, compress, sizeHint: size });
      file.release();
    }
  } catch (err) {
    if (!(err instanceof PartialReadError)) throw err;
    // Files copied before the bad line stay in the archive; they are the subject's all the same.
    section.status = 'failed';
    section.error = 'the collected data could not be read';
  } finally {
    readAhead.close();
  }
}

interface FileToCopy {
  ref: FileRef;
  path: string;
}

async function* filesOf(section: FeatureSection, results: BlobStore): AsyncGenerator<FileToCopy> {
  const numbering = new FileNumbering(section.id);
  for (const dataset of section.datasets) {
    if (dataset.files === 0) continue;
    for await (const record of readDataset(results, section.task.partialKey, dataset.description.name)) {
      if (record.file) yield { ref: record.file, path: numbering.pathFor(record.dataset, record.file.name) };
    }
  }
}

/** Files up to this size are read whole ahead of the archive; larger ones are streamed when their turn comes. */
const WHOLE_FILE_BYTES = 1024 * 1024;
/** Bytes read ahead at most (plus one file). */
const READ_AHEAD_BYTES = 16 * 1024 * 1024;

interface FetchedFile extends FileToCopy {
  /** The bytes; undefined when the file is gone. */
  source?: Readable;
  compressible: boolean;
  /** Bytes held in memory for it. */
  held: number;
  /** The archive is done with it. */
  release(): void;
}

/**
 * Reads the files to copy ahead of the archive, in order, so that opening and reading the next
 * ones overlaps zipping this one: per-file latency (open, read, close) is what copying thousands
 * of small files costs. Still one open file at a time: small files are read whole and closed;
 * a large one is handed over open, and nothing more is read until the archive is done with it.
 */
class ReadAhead implements AsyncIterable<FetchedFile> {
  private readonly queue: FetchedFile[] = [];
  private held = 0;
  private done = false;
  private failure: { error: unknown } | undefined;
  private closed = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private readonly streaming = new Set<Readable>();

  constructor(
    files: AsyncIterable<FileToCopy>,
    private readonly blobs: BlobStore,
  ) {
    void this.produce(files);
  }

  private async produce(files: AsyncIterable<FileToCopy>): Promise<void> {
    try {
      for await (const file of files) {
        while (!this.closed && this.held >= READ_AHEAD_BYTES) await new Promise<void>((r) => (this.wakeProducer = r));
        if (this.closed) return;
        const fetched = await this.fetch(file);
        if (this.closed) {
          fetched.source?.destroy();
          return;
        }
        this.held += fetched.held;
        this.queue.push(fetched);
        if (process.env.DEBUG_RA && Math.random() < 0.01) console.error('held', this.held, 'queue', this.queue.length, 'rss', process.memoryUsage().rss >> 20, 'ab', process.memoryUsage().arrayBuffers >> 20, 'heap', process.memoryUsage().heapUsed >> 20);
        this.notifyConsumer();
        // A large file is open: wait until the archive has read it before opening another.
        if (fetched.source && fetched.held === 0) await closedOrDone(fetched.source);
      }
    } catch (error) {
      this.failure = { error };
    } finally {
      this.done = true;
      this.notifyConsumer();
    }
  }

  private async fetch(file: FileToCopy): Promise<FetchedFile> {
    const release = () => undefined;
    const source = await openBlob(this.blobs, file.ref.blobKey);
    if (!source) return { ...file, compressible: false, held: 0, release };
    if (file.ref.size > WHOLE_FILE_BYTES) {
      this.streaming.add(source);
      source.once('close', () => this.streaming.delete(source));
      return { ...file, source, compressible: worthDeflating(file.ref, startOf(source)), held: 0, release };
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    this.streaming.add(source);
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        bytes += chunk.length;
      }
    } finally {
      this.streaming.delete(source);
    }
    // Closed before the next one opens: one open file at a time, as promised.
    await closedOrDone(source);
    const compressible = worthDeflating(file.ref, chunks[0]);
    return {
      ...file,
      source: Readable.from(chunks, { objectMode: false }),
      compressible,
      held: bytes,
      release: () => {
        this.held -= bytes;
        this.wakeProducer?.();
      },
    };
  }

  private notifyConsumer(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<FetchedFile> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.done) {
        if (this.failure) throw this.failure.error;
        return;
      }
      await new Promise<void>((r) => (this.wakeConsumer = r));
    }
  }

  /** Stops reading ahead and closes whatever is still open. */
  close(): void {
    this.closed = true;
    for (const file of this.queue.splice(0)) file.source?.destroy();
    for (const stream of this.streaming) stream.destroy();
    this.wakeProducer?.();
  }
}

function closedOrDone(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed) return resolve();
    stream.once('close', () => resolve());
  });
}

/** The first chunk of a stream that is readable, put back for whoever reads it next. */
function startOf(source: Readable): Buffer | undefined {
  const head = source.read() as Buffer | null;
  if (head === null) return undefined;
  source.unshift(head);
  return head;
}

const SAMPLE_BYTES = 4096;
/** Bits per byte above which deflate gains next to nothing: compressed or encrypted data is near 8. */
const INCOMPRESSIBLE_ENTROPY = 7.5;

/**
 * Whether to deflate a file. Media types that are compressed already are stored; for the rest (PDFs,
 * archives sent as octet-stream, ...) the byte entropy of the first 4 KiB decides: deflating bytes
 * that do not shrink costs more CPU than anything else in an archive.
 */
function worthDeflating(ref: FileRef, head: Buffer | undefined): boolean {
  if (isAlreadyCompressed(ref.mediaType) || head === undefined) return false;
  const sample = head.subarray(0, SAMPLE_BYTES);
  if (sample.length < 256) return true;
  const counts = new Uint32Array(256);
  for (const byte of sample) counts[byte]! += 1;
  let entropy = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const p = count / sample.length;
    entropy -= p * Math.log2(p);
  }
  return entropy < INCOMPRESSIBLE_ENTROPY;
}

function tallyRow(tallies: Map<string, Tally>, dataset: string, row: Record<string, unknown>): Tally {
  let tally = tallies.get(dataset);
  if (!tally) {
    tally = { rows: 0, files: 0, columns: new Set() };
    tallies.set(dataset, tally);
  }
  tally.rows += 1;
  if (tally.columns.size < MAX_GUESSED_COLUMNS) {
    for (const column of Object.keys(row)) {
      if (tally.columns.size >= MAX_GUESSED_COLUMNS) break;
      tally.columns.add(column);
    }
  }
  return tally;
}

/** Described datasets in the adapter's order (also when empty), then any others the partial held. */
function summarize(section: FeatureSection, tallies: Map<string, Tally>): DatasetSummary[] {
  const described = section.descriptions.map((description) => ({
    description,
    rows: tallies.get(description.name)?.rows ?? 0,
    files: tallies.get(description.name)?.files ?? 0,
  }));
  const known = new Set(section.descriptions.map((d) => d.name));
  const others = [...tallies]
    .filter(([name]) => !known.has(name))
    .map(([name, tally]) => ({
      description: { name, title: name, columns: [...tally.columns], items: {} },
      rows: tally.rows,
      files: tally.files,
    }));
  return [...described, ...others];
}

/**
 * Opens a blob and waits until it is readable, so a missing blob is known before its entry is
 * started (a zip entry cannot be taken back). Other errors still fail: a flaky store must not
 * turn into "file missing" in the subject's answer.
 */
export async function openBlob(store: BlobStore, key: string): Promise<Readable | undefined> {
  let stream: Readable;
  try {
    stream = store.get(key);
  } catch (err) {
    if (err instanceof InvalidBlobKeyError) return undefined;
    throw err;
  }
  try {
    await readableOrError(stream);
    return stream;
  } catch (err) {
    stream.destroy();
    if ((await store.size(key)) === undefined) return undefined;
    throw err;
  }
}

function readableOrError(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const onReadable = () => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (err: Error) => {
      stream.off('readable', onReadable);
      reject(err);
    };
    // Removing the 'readable' listener afterwards lets a later pipe() switch the stream to flowing.
    stream.once('readable', onReadable);
    stream.once('error', onError);
  });
}

// Zip headers and manifest/README lines per file, and room for the small generated entries.
const PER_FILE_BYTES = 512;
const SMALL_ENTRIES_BYTES = 1024 * 1024;

/**
 * The access archive: the files, then the reports (index.html with its pages, and data.json), which
 * go to part 1 and are written last. Their room in part 1 is kept at twice the rows' bytes, which
 * deflated HTML and JSON of those rows stay well below.
 */
export function accessArchiveSize(estimate: ArchiveEstimate): { expectedBytes: number; firstPartReserve: number } {
  const reports = 2 * estimate.rowBytes + SMALL_ENTRIES_BYTES;
  return { expectedBytes: estimate.fileBytes + PER_FILE_BYTES * estimate.files + reports, firstPartReserve: reports };
}

/** The export archive: the files, a JSON and a CSV per dataset (at most about the rows' bytes each), README, manifest. */
export function exportArchiveSize(estimate: ArchiveEstimate): { expectedBytes: number } {
  return {
    expectedBytes: estimate.fileBytes + PER_FILE_BYTES * estimate.files + 2 * estimate.rowBytes + SMALL_ENTRIES_BYTES,
  };
}
