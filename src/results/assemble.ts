import { createHash, type KeyObject } from 'node:crypto';
import type { BlobStore } from '../blobs/blob-store.js';
import { preparedTextPrefix, resultKey } from '../blobs/keys.js';
import type { Catalogue } from '../catalogue/schema.js';
import type { RequestedChangeRow, RequestRow, TaskRow } from '../requests/tables.js';
import type { DatasetDescription } from '../features/adapter.js';
import { accessDataJson } from './report/access-data-json.js';
import { addAccessReport } from './report/access-report-html.js';
import { writeZipArchive, type ArchiveLayout, type WrittenBlob, type WrittenPart } from './zip/archive.js';
import { accessArchiveSize, copyFiles, exportArchiveSize, prepareSections } from './archive-files.js';
import { buildDeletionReceipt, type DeletionReceipt } from './receipt/deletion-receipt.js';
import { buildCorrectionReceipt } from './receipt/correction-receipt.js';
import { addDatasetFiles, addManifest, addReadme, prepareDatasetFiles } from './export/export-files.js';
import { signReceipt } from './receipt/receipt-signing.js';
import type { Rescan } from './receipt/rescan.js';
import { buildSections, resultTimeOf, type FeatureSection } from './report-model.js';
import { TextPreparation } from './export/text-preparation.js';
import type { TenantNotice } from '../notice/schemas.js';
import { overallNotice, recipientIds } from '../notice/subject-notice.js';

/**
 * Turns a request's ended tasks into the one result file the subject receives:
 * access -> zip with index.html, data.json and the original files;
 * export -> zip with JSON and CSV per dataset, the original files, README.txt and manifest.json;
 * deletion -> a JSON receipt, with its digest and, given a key, its signature (receipt-signing.ts);
 * correction -> a JSON receipt of the changes, sealed the same way.
 * Rows are streamed from the partials and files from the feature store, one at a time, and the
 * result is streamed into the results store, so memory stays flat whatever the subject holds.
 */

export interface AssemblyInput {
  request: RequestRow;
  tasks: TaskRow[];
  catalogue: Catalogue;
  /** A correction's changes, in the order asked (none for the other types). */
  changes?: RequestedChangeRow[];
  /** The tenant's notice as of the version the request recorded (request.noticeVersion); undefined for none. */
  notice?: TenantNotice;
  /** Feature id -> its datasets (empty for features without adapter). */
  datasets: ReadonlyMap<string, DatasetDescription[]>;
  /** Holds the partials; the result goes here too. */
  results: BlobStore;
  /** Holds the files referenced by FileRef.blobKey. */
  featureBlobs: BlobStore;
  /** Deletion: the scan of every store after the erasure, set against the receipt (receipt/rescan.ts). */
  rescan?: Rescan;
  /** Ed25519 private key that signs deletion receipts; without it receipts carry `signature: null`. */
  signingKey?: KeyObject;
  /** Rows a listing of index.html shows before it moves to pages of its own (default 1000). */
  pageRows?: number;
  /** Archives above this size are split into parts `<name>.part<n>.zip` (RESULT_PART_BYTES, default 2 GiB). */
  partBytes?: number;
  /**
   * Exports: datasets without files whose collected rows take at least this many bytes have their
   * JSON and CSV prepared in a worker thread while the files are copied (default 1 MiB; below it
   * a worker costs more than it saves).
   */
  prepareTextBytes?: number;
}

const DEFAULT_PREPARE_TEXT_BYTES = 1024 * 1024;

const DEFAULT_RESULT_PART_BYTES = 2 * 1024 ** 3;

/** One file of a result: an archive split into parts has several, anything else one. */
export interface ResultPart {
  key: string;
  fileName: string;
  size: number;
  sha256: string;
}

/** `key`, `size`, `sha256` and `fileName` describe the first (or only) part, as before parts existed. */
export interface AssembledResult {
  key: string;
  mediaType: string;
  size: number;
  sha256: string;
  fileName: string;
  /** Every file of the result in order: one, or the parts of a split archive (each a complete zip). */
  parts: ResultPart[];
  /** A deletion's receipt as written, kept on the request's record (src/records). */
  receipt?: DeletionReceipt;
  /** Deletion: the ids of every recipient the receipt lists (recipientIds), for the webhook of its completion. */
  recipients?: string[];
}

interface Assembly {
  input: AssemblyInput;
  sections: FeatureSection[];
  /** The one time the result states (resultTimeOf): the same bytes however often and whenever it is assembled. */
  asOf: Date;
}

export async function assembleResult(input: AssemblyInput): Promise<AssembledResult> {
  const assembly: Assembly = { input, sections: buildSections(input), asOf: resultTimeOf(input.request) };
  switch (input.request.type) {
    case 'access':
      return assembleAccess(assembly);
    case 'export':
      return assembleExport(assembly);
    case 'deletion':
      return assembleDeletionReceipt(assembly);
    case 'correction':
      return assembleCorrectionReceipt(assembly);
  }
}

async function assembleAccess({ input, sections, asOf }: Assembly): Promise<AssembledResult> {
  const context = contextOf(input, sections);
  const estimate = await prepareSections(sections, input.results);
  const layout = archiveLayout(input, `dsar-access-${input.request.id}`, asOf, accessArchiveSize(estimate));
  const parts = await writeZipArchive(input.results, layout, async (archive) => {
    // Files first: the reports after them then know which files are missing. They go to part 1.
    await copyFiles(archive, sections, input.results, input.featureBlobs);
    await archive.inFirstPart(async () => {
      await addAccessReport(archive, { ...context, pageRows: input.pageRows });
      await archive.addText('data.json', accessDataJson(context), { mediaType: 'application/json', compress: true });
    });
  });
  return describedParts(parts);
}

async function assembleExport({ input, sections, asOf }: Assembly): Promise<AssembledResult> {
  const context = contextOf(input, sections);
  const estimate = await prepareSections(sections, input.results);
  const layout = archiveLayout(input, `dsar-export-${input.request.id}`, asOf, exportArchiveSize(estimate));
  const text = new TextPreparation(input.results, preparedTextPrefix(input.request.id));
  try {
    const parts = await writeZipArchive(input.results, layout, async (archive) => {
      // Started first: the worker renders and deflates these while the files are copied.
      prepareDatasetFiles(context, text, input.prepareTextBytes ?? DEFAULT_PREPARE_TEXT_BYTES);
      await copyFiles(archive, sections, input.results, input.featureBlobs);
      await addDatasetFiles(archive, context, text);
      await addReadme(archive, context);
      // Last, so in the last part: it lists the entries of every part.
      await addManifest(archive, context);
    });
    return describedParts(parts);
  } finally {
    await text.close();
  }
}

async function assembleDeletionReceipt({ input, sections }: Assembly): Promise<AssembledResult> {
  const fileName = `dsar-deletion-receipt-${input.request.id}.json`;
  const { result, receipt } = await writeReceipt(input, fileName, buildDeletionReceipt({ ...contextOf(input, sections), rescan: input.rescan }));
  const recipients = recipientIds((receipt.recipients ?? []).flatMap((f) => f.recipients));
  // The signed receipt is also kept on the request's record (src/records), beyond the result.
  return { ...result, receipt, recipients };
}

async function assembleCorrectionReceipt({ input }: Assembly): Promise<AssembledResult> {
  const fileName = `dsar-correction-receipt-${input.request.id}.json`;
  const { request, catalogue, tasks, changes = [] } = input;
  return (await writeReceipt(input, fileName, buildCorrectionReceipt({ request, catalogue, tasks, changes, notice: input.notice }))).result;
}

async function writeReceipt<B extends object>(input: AssemblyInput, fileName: string, body: B) {
  const receipt = signReceipt(body, input.signingKey);
  // Bounded by the catalogue (and a correction's 50 changes), not by the subject's data, so one buffer is fine here.
  const bytes = Buffer.from(`${JSON.stringify(receipt, null, 2)}\n`, 'utf8');
  const written = await writeBuffer(input.results, resultKey(input.request.id, fileName), bytes);
  return { result: described(input.request.id, fileName, 'application/json', written), receipt };
}

function contextOf(input: AssemblyInput, sections: FeatureSection[]) {
  return {
    request: input.request,
    catalogueVersion: input.catalogue.version,
    sections,
    results: input.results,
    tenantNotice: input.notice,
    notice: overallNotice(input.catalogue, input.notice, input.request.noticeVersion),
  };
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
  const key = resultKey(requestId, fileName);
  return { key, mediaType, size: written.size, sha256: written.sha256, fileName, parts: [{ key, fileName, ...written }] };
}

function archiveLayout(
  input: AssemblyInput,
  baseName: string,
  mtime: Date,
  size: { expectedBytes: number; firstPartReserve?: number },
): ArchiveLayout {
  const keyFor = (fileName: string) => resultKey(input.request.id, fileName);
  return { baseName, keyFor, mtime, partBytes: input.partBytes ?? DEFAULT_RESULT_PART_BYTES, ...size };
}

function describedParts(written: WrittenPart[]): AssembledResult {
  const parts = written.map(({ key, fileName, size, sha256 }) => ({ key, fileName, size, sha256 }));
  const first = parts[0]!;
  return { ...first, mediaType: 'application/zip', parts };
}
