import { createHash, type KeyObject } from 'node:crypto';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Catalogue } from '../catalogue/schema.js';
import type { RequestRow, TaskRow } from '../db/schema.js';
import type { DatasetDescription } from '../features/adapter.js';
import { accessDataJson } from './access-data-json.js';
import { addAccessReport } from './access-report-html.js';
import { writeZipToBlob, type WrittenBlob } from './archive.js';
import { copyFilesAndTally } from './archive-files.js';
import { buildDeletionReceipt } from './deletion-receipt.js';
import { addDatasetFiles, addManifest, addReadme } from './export-files.js';
import { signReceipt } from './receipt-signing.js';
import { buildSections, type FeatureSection } from './report-model.js';

/**
 * Turns a request's ended tasks into the one result file the subject receives:
 * access -> zip with index.html, data.json and the original files;
 * export -> zip with JSON and CSV per dataset, the original files, README.txt and manifest.json;
 * deletion -> a JSON receipt, with its digest and, given a key, its signature (receipt-signing.ts).
 * Rows are streamed from the partials and files from the feature store, one at a time, and the
 * result is streamed into the results store, so memory stays flat whatever the subject holds.
 */

export interface AssemblyInput {
  request: RequestRow;
  tasks: TaskRow[];
  catalogue: Catalogue;
  /** Feature id -> its datasets (empty for features without adapter). */
  datasets: ReadonlyMap<string, DatasetDescription[]>;
  /** Holds the partials; the result goes here too. */
  results: BlobStore;
  /** Holds the files referenced by FileRef.blobKey. */
  featureBlobs: BlobStore;
  /** Ed25519 private key that signs deletion receipts; without it receipts carry `signature: null`. */
  signingKey?: KeyObject;
  now?: Date;
  /** Rows a listing of index.html shows before it moves to pages of its own (default 1000). */
  pageRows?: number;
}

export interface AssembledResult {
  key: string;
  mediaType: string;
  size: number;
  sha256: string;
  fileName: string;
}

interface Assembly {
  input: AssemblyInput;
  sections: FeatureSection[];
  now: Date;
}

export async function assembleResult(input: AssemblyInput): Promise<AssembledResult> {
  const assembly: Assembly = { input, sections: buildSections(input), now: input.now ?? new Date() };
  switch (input.request.type) {
    case 'access':
      return assembleAccess(assembly);
    case 'export':
      return assembleExport(assembly);
    case 'deletion':
      return assembleDeletionReceipt(assembly);
  }
}

export function resultKey(requestId: string, fileName: string): string {
  return `results/${requestId}/${fileName}`;
}

async function assembleAccess({ input, sections, now }: Assembly): Promise<AssembledResult> {
  const fileName = `dsar-access-${input.request.id}.zip`;
  const context = { ...contextOf(input, sections), now };
  const written = await writeZipToBlob(input.results, resultKey(input.request.id, fileName), now, async (archive) => {
    // Files first: the reports after them then know which files are missing.
    await copyFilesAndTally(archive, sections, input.results, input.featureBlobs);
    await addAccessReport(archive, { ...context, pageRows: input.pageRows });
    await archive.addText('data.json', accessDataJson(context), { mediaType: 'application/json', compress: true });
  });
  return described(input.request.id, fileName, 'application/zip', written);
}

async function assembleExport({ input, sections, now }: Assembly): Promise<AssembledResult> {
  const fileName = `dsar-export-${input.request.id}.zip`;
  const context = { ...contextOf(input, sections), now };
  const written = await writeZipToBlob(input.results, resultKey(input.request.id, fileName), now, async (archive) => {
    await copyFilesAndTally(archive, sections, input.results, input.featureBlobs);
    await addDatasetFiles(archive, context);
    await addReadme(archive, context);
    await addManifest(archive, context);
  });
  return described(input.request.id, fileName, 'application/zip', written);
}

async function assembleDeletionReceipt({ input, sections, now }: Assembly): Promise<AssembledResult> {
  const fileName = `dsar-deletion-receipt-${input.request.id}.json`;
  const receipt = signReceipt(buildDeletionReceipt({ ...contextOf(input, sections), now }), input.signingKey);
  // Bounded by the catalogue, not by the subject's data, so one buffer is fine here.
  const body = Buffer.from(`${JSON.stringify(receipt, null, 2)}\n`, 'utf8');
  const written = await writeBuffer(input.results, resultKey(input.request.id, fileName), body);
  return described(input.request.id, fileName, 'application/json', written);
}

function contextOf(input: AssemblyInput, sections: FeatureSection[]) {
  return { request: input.request, catalogueVersion: input.catalogue.version, sections, results: input.results };
}

async function writeBuffer(store: BlobStore, key: string, body: Buffer): Promise<WrittenBlob> {
  const writer = await store.writer(key);
  try {
    await new Promise<void>((resolve, reject) => {
      writer.stream.once('error', reject);
      writer.stream.end(body, () => resolve());
    });
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return { size: body.length, sha256: createHash('sha256').update(body).digest('hex') };
}

function described(requestId: string, fileName: string, mediaType: string, written: WrittenBlob): AssembledResult {
  return { key: resultKey(requestId, fileName), mediaType, size: written.size, sha256: written.sha256, fileName };
}
