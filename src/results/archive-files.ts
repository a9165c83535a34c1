import type { Readable } from 'node:stream';
import { InvalidBlobKeyError, type BlobStore } from '../blobs/blob-store.js';
import type { FileRef } from '../features/adapter.js';
import type { ZipArchive } from './archive.js';
import { FileNumbering } from './file-names.js';
import { isAlreadyCompressed } from './media.js';
import { PartialReadError, readPartial } from './partials.js';
import type { DatasetSummary, FeatureSection } from './report-model.js';

/**
 * The first pass over each partial, shared by access and export: copies the original files into
 * the archive (one open stream at a time) and tallies rows and files per dataset. It runs before
 * the reports are written so they can say which files are missing and how much each dataset holds.
 */

/** Columns guessed for a dataset the adapter did not describe; bounded so odd rows cannot grow it. */
const MAX_GUESSED_COLUMNS = 100;

interface Tally {
  rows: number;
  files: number;
  columns: Set<string>;
}

export async function copyFilesAndTally(
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

async function copySectionFiles(
  archive: ZipArchive,
  section: FeatureSection,
  results: BlobStore,
  featureBlobs: BlobStore,
): Promise<void> {
  const tallies = new Map<string, Tally>();
  const numbering = new FileNumbering(section.id);
  try {
    for await (const record of readPartial(results, section.task.partialKey)) {
      const tally = tallyRow(tallies, record.dataset, record.row);
      if (!record.file) continue;
      tally.files += 1;
      const path = numbering.pathFor(record.dataset, record.file.name);
      if (!(await copyFile(archive, featureBlobs, record.file, path))) section.missingFiles.set(path, record.file);
    }
  } catch (err) {
    if (!(err instanceof PartialReadError)) throw err;
    // Only this feature is affected: report it as failed instead of failing the whole result.
    // Files copied before the bad line stay in the archive; they are the subject's all the same.
    section.status = 'failed';
    section.error = 'the collected data could not be read';
    return;
  }
  section.datasets = summarize(section, tallies);
}

function tallyRow(tallies: Map<string, Tally>, dataset: string, row: Record<string, unknown>): Tally {
  let tally = tallies.get(dataset);
  if (!tally) {
    tally = { rows: 0, files: 0, columns: new Set() };
    tallies.set(dataset, tally);
  }
  tally.rows += 1;
  for (const column of Object.keys(row)) {
    if (tally.columns.size >= MAX_GUESSED_COLUMNS) break;
    tally.columns.add(column);
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

/** Streams one file into the archive; false when its bytes are gone (deleted since collection). */
async function copyFile(archive: ZipArchive, blobs: BlobStore, file: FileRef, path: string): Promise<boolean> {
  const source = await openBlob(blobs, file.blobKey);
  if (!source) return false;
  await archive.add(path, source, { mediaType: file.mediaType, compress: !isAlreadyCompressed(file.mediaType) });
  return true;
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
