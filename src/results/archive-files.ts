import type { Readable } from 'node:stream';
import { InvalidBlobKeyError, untilReadable, type BlobStore } from '../blobs/blob-store.js';
import type { FileRef } from '../features/adapter.js';
import type { ZipArchive } from './zip/archive.js';
import { FileNumbering } from './file-names.js';
import { isAlreadyCompressed } from './media.js';
import { PartialReadError, readDataset, readSpoolIndex, type SpoolIndex } from './partials/partials.js';
import type { DatasetSummary, FeatureSection } from './report-model.js';

/**
 * The two steps every archive starts with, shared by access and export:
 * 1. `prepareSections` reads each partial's index:
 *    rows and files per dataset, and how much the archive will hold, to decide on parts before writing;
 * 2. `copyFiles` copies the original files into the archive, a few opened ahead of the one being
 *    written, and notes which are missing. It runs before the reports so they can say so.
 */

/** What the archive will hold, as far as the partials tell before anything is written. */
interface ArchiveEstimate {
  /** Files referenced by rows, and their bytes as recorded by the features. */
  files: number;
  fileBytes: number;
  /** Bytes of collected rows (NDJSON): each text output of a dataset (JSON, CSV, HTML) is about as large or less. */
  rowBytes: number;
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
  let index: SpoolIndex = { datasets: {} };
  const key = section.task.partialKey;
  try {
    if (key !== null) {
      const read = await readSpoolIndex(results, key);
      if (!read) throw new PartialReadError(`partial ${key} has no index`);
      index = read;
    }
  } catch (err) {
    if (!(err instanceof PartialReadError)) throw err;
    // Only this feature is affected: report it as failed instead of failing the whole result.
    section.status = 'failed';
    section.error = 'the collected data could not be read';
    return;
  }
  for (const { description } of section.withheld) delete index.datasets[description.name];
  section.spools = index;
  section.datasets = summarize(section, index);
  for (const spool of Object.values(index.datasets)) {
    estimate.files += spool.files;
    estimate.fileBytes += spool.fileBytes;
    estimate.rowBytes += spool.bytes;
  }
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

/**
 * Files opened ahead of the one being copied. Each costs a round trip to the store (open, first
 * read) that would otherwise leave the archive idle between files; a few opened ahead overlap
 * those, while open files and buffered bytes stay bounded (READ_AHEAD + 1 files, each read whole
 * up to WHOLE_FILE_BYTES or ~64 KiB of a streamed one).
 */
export const READ_AHEAD = 8;

/** Files up to this size (as recorded, and as found) are read in one go instead of streamed. */
export const WHOLE_FILE_BYTES = 2 * 1024 * 1024;

/** A file's bytes: whole, or a stream for a large one; undefined when they are gone. */
type FileSource = Buffer | Readable | undefined;

interface OpeningFile {
  path: string;
  file: FileRef;
  source: Promise<FileSource>;
}

/**
 * Dataset by dataset (FileNumbering numbers per dataset in collection order, so every pass
 * finds the same paths), reading only the datasets that have files. Files enter the archive in
 * collection order; the next READ_AHEAD are being opened meanwhile.
 */
async function copySectionFiles(
  archive: ZipArchive,
  section: FeatureSection,
  results: BlobStore,
  featureBlobs: BlobStore,
): Promise<void> {
  const numbering = new FileNumbering(section.id);
  const ahead: OpeningFile[] = [];
  const copyNext = async () => {
    const next = ahead.shift()!;
    if (!(await copyFile(archive, await next.source, next.file, next.path))) section.missingFiles.set(next.path, next.file);
  };
  try {
    for (const dataset of section.datasets) {
      if (dataset.files === 0) continue;
      for await (const record of readDataset(results, section.spools, dataset.description.name)) {
        if (!record.file) continue;
        const source = openFile(record.file.workFile ? results : featureBlobs, record.file, archive.fileBuffers.take);
        // Awaited in turn below; until then a failure must not count as unhandled.
        source.catch(() => undefined);
        ahead.push({ path: numbering.pathFor(record.dataset, record.file.name), file: record.file, source });
        if (ahead.length > READ_AHEAD) await copyNext();
      }
    }
    while (ahead.length > 0) await copyNext();
  } catch (err) {
    for (const { source } of ahead.splice(0)) void source.then(release, () => undefined);
    if (!(err instanceof PartialReadError)) throw err;
    // Files copied before the bad line stay in the archive; they are the subject's all the same.
    section.status = 'failed';
    section.error = 'the collected data could not be read';
  }
}

function release(source: FileSource): void {
  if (source && !Buffer.isBuffer(source)) source.destroy();
}

/** A file read whole if it is small, else opened as a stream (see openBlob). */
async function openFile(store: BlobStore, file: FileRef, allocate: (size: number) => Buffer): Promise<FileSource> {
  const whole = file.size <= WHOLE_FILE_BYTES ? await store.readWhole(file.blobKey, WHOLE_FILE_BYTES, allocate) : undefined;
  return whole ?? openBlob(store, file.blobKey);
}

/** Copies one opened file into the archive; false when its bytes are gone (deleted since collection). */
async function copyFile(archive: ZipArchive, source: FileSource, file: FileRef, path: string): Promise<boolean> {
  if (!source) return false;
  const whole = Buffer.isBuffer(source);
  // Media types that are compressed already are stored without a look at their bytes.
  const compress = !isAlreadyCompressed(file.mediaType) && worthDeflating(whole ? source : startOf(source));
  const options = { mediaType: file.mediaType, compress, sizeHint: file.size };
  await (whole ? archive.addFile(path, source, { ...options, sha256: recordedDigest(file, source) }) : archive.add(path, source, options));
  return true;
}

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * The SHA-256 a feature recorded with a file (FileRef.sha256), for a file read whole at its recorded
 * size: its entry takes that digest instead of hashing the file again. The part's own digest hashes
 * the same bytes, and the two passes were the largest CPU cost of an export's files (bench/README.md,
 * session 15). A file of another size, or without a well-formed digest, is hashed as it goes in.
 */
function recordedDigest(file: FileRef, data: Buffer): string | undefined {
  const recorded: unknown = file.sha256;
  if (data.length !== file.size || typeof recorded !== 'string' || !SHA256_HEX.test(recorded)) return undefined;
  return recorded.toLowerCase();
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
function worthDeflating(head: Buffer | undefined): boolean {
  if (head === undefined) return false;
  const sample = head.subarray(0, SAMPLE_BYTES);
  if (sample.length < 256) return true;
  const counts = new Uint32Array(256);
  for (let i = 0; i < sample.length; i += 1) counts[sample[i]!]! += 1;
  let entropy = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const p = count / sample.length;
    entropy -= p * Math.log2(p);
  }
  return entropy < INCOMPRESSIBLE_ENTROPY;
}

/** Described datasets in the adapter's order (also when empty), then any others the partial held. */
function summarize(section: FeatureSection, index: SpoolIndex): DatasetSummary[] {
  const described = section.descriptions.map((description) => ({
    description,
    rows: index.datasets[description.name]?.rows ?? 0,
    files: index.datasets[description.name]?.files ?? 0,
  }));
  const known = new Set(section.descriptions.map((d) => d.name));
  const others = Object.entries(index.datasets)
    .filter(([name]) => !known.has(name))
    .map(([name, spool]) => ({
      description: { name, title: name, columns: spool.columns ?? [], items: {} },
      rows: spool.rows,
      files: spool.files,
    }));
  return [...described, ...others];
}

/**
 * Opens a blob and waits until it is readable, so a missing blob is known before its entry is
 * started (a zip entry cannot be taken back). Other errors still fail: a flaky store must not
 * turn into "file missing" in the subject's answer.
 */
async function openBlob(store: BlobStore, key: string): Promise<Readable | undefined> {
  let stream: Readable;
  try {
    stream = store.get(key);
  } catch (err) {
    if (err instanceof InvalidBlobKeyError) return undefined;
    throw err;
  }
  try {
    await untilReadable(stream);
    return stream;
  } catch (err) {
    stream.destroy();
    if ((await store.size(key)) === undefined) return undefined;
    throw err;
  }
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
