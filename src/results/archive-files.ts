import type { Readable } from 'node:stream';
import { InvalidBlobKeyError, untilReadable, type BlobStore } from '../blobs/blob-store.js';
import type { FileRef } from '../features/adapter.js';
import type { ZipArchive } from './archive.js';
import { FileNumbering } from './file-names.js';
import { isAlreadyCompressed } from './media.js';
import { DatasetSpools, PartialReadError, readDataset, readPartialBatches } from './partials.js';
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
    for await (const { records, lines } of readPartialBatches(results, key)) {
      for (let i = 0; i < records.length; i += 1) {
        const record = records[i]!;
        const line = lines[i]!;
        const tally = tallyRow(tallies, record.dataset, record.row);
        const wait = spools?.add(record.dataset, line);
        if (wait) await wait;
        rowBytes += line.length + 1;
        if (!record.file) continue;
        tally.files += 1;
        files += 1;
        fileBytes += Math.max(0, record.file.size);
      }
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
  const numbering = new FileNumbering(section.id);
  try {
    for (const dataset of section.datasets) {
      if (dataset.files === 0) continue;
      for await (const record of readDataset(results, section.task.partialKey, dataset.description.name)) {
        if (!record.file) continue;
        const path = numbering.pathFor(record.dataset, record.file.name);
        if (!(await copyFile(archive, featureBlobs, record.file, path))) section.missingFiles.set(path, record.file);
      }
    }
  } catch (err) {
    if (!(err instanceof PartialReadError)) throw err;
    // Files copied before the bad line stay in the archive; they are the subject's all the same.
    section.status = 'failed';
    section.error = 'the collected data could not be read';
  }
}

/** Streams one file into the archive; false when its bytes are gone (deleted since collection). */
async function copyFile(archive: ZipArchive, blobs: BlobStore, file: FileRef, path: string): Promise<boolean> {
  const source = await openBlob(blobs, file.blobKey);
  if (!source) return false;
  // Media types that are compressed already are stored without a look at their bytes.
  const compress = !isAlreadyCompressed(file.mediaType) && worthDeflating(startOf(source));
  await archive.add(path, source, { mediaType: file.mediaType, compress, sizeHint: file.size });
  return true;
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
