import { Readable } from 'node:stream';
import type { BlobStore } from '../../blobs/blob-store.js';
import type { RequestType } from '../../requests/lifecycle.js';
import type { RequestRow } from '../../requests/tables.js';
import { DEFLATED_ENTRIES, type ArchiveEntry, type ZipArchive } from '../zip/archive.js';
import { FileNumbering, sanitizeFileName } from '../file-names.js';
import { accountItems } from '../item-accounting.js';
import { withheldJson } from '../report/access-data-json.js';
import { featureName, formatDate, itemOutcomeWords, REQUEST_TYPE_WORDS, retentionWords, rowCountWords, statusWords } from '../labels.js';
import { MISSING_FILE_REASON, outputRow } from '../output-rows.js';
import { PartialReadError, spoolBytes, type SpoolEntry } from '../partials/partials.js';
import type { DatasetSummary, FeatureSection } from '../report-model.js';
import { renderDataset, SpoolLineError, type RenderJob, type WithFile } from './row-renderer.js';
import type { PreparedText, TextPreparation } from './text-preparation.js';
import { datasetSchema } from './dataset-schema.js';
import type { TenantNotice } from '../../notice/schemas.js';
import {
  contactWords,
  featureNotice,
  recipientNames,
  recipientWords,
  retentionNoticeWords,
  transferWords,
  type OverallNotice,
} from '../../notice/subject-notice.js';

/**
 * The entries of an export (data portability) result, after the original files:
 * `<feature>/<dataset>.json`, `.csv` and `.schema.json` (the JSON's JSON Schema) per dataset, README.txt, and manifest.json last,
 * listing every other entry with the size and SHA-256 measured while it was written.
 */

interface ExportContext {
  request: RequestRow;
  catalogueVersion: string;
  sections: FeatureSection[];
  results: BlobStore;
  tenantNotice: TenantNotice | undefined;
  notice: OverallNotice;
}

const TEXT = { compress: true } as const;

/**
 * The JSON and CSV of every dataset without files whose rows take at least `minBytes`, started
 * in a worker thread (text-preparation.ts), to be added in their place by addDatasetFiles.
 */
export function prepareDatasetFiles(ctx: ExportContext, text: TextPreparation, minBytes: number): void {
  if (!DEFLATED_ENTRIES) return;
  for (const { section, dataset, base } of datasetsOf(ctx)) {
    const spool = section.spools.datasets[dataset.description.name];
    if (!spool || dataset.files > 0 || spool.bytes < minBytes) continue;
    const [json, csv] = renderJobs(dataset);
    text.prepare(spool, [
      { path: `${base}.json`, job: json },
      { path: `${base}.csv`, job: csv },
    ]);
  }
}

export async function addDatasetFiles(archive: ZipArchive, ctx: ExportContext, text?: TextPreparation): Promise<void> {
  for (const { section, dataset, base } of datasetsOf(ctx)) {
    // The dataset's bytes in the partial: about the size of either file, so the part it goes in is known.
    const spool = section.spools.datasets[dataset.description.name];
    const [json, csv] = renderJobs(dataset);
    const files: [string, RenderJob, string][] = [
      [`${base}.json`, json, 'application/json'],
      [`${base}.csv`, csv, 'text/csv; charset=utf-8'],
    ];
    for (const [path, job, mediaType] of files) {
      const prepared = text?.take(path);
      if (prepared) await addPrepared(archive, ctx, path, await prepared, mediaType);
      else {
        const text = datasetFile(section, dataset.description.name, spool, job, ctx.results);
        await archive.add(path, Readable.from(text), { ...TEXT, mediaType, sizeHint: spool?.bytes });
      }
    }
    // Once per dataset, from its description: a few hundred bytes, no pass over the rows.
    const schema = `${JSON.stringify(datasetSchema(section, dataset), null, 2)}\n`;
    await archive.addText(`${base}.schema.json`, [schema], { ...TEXT, mediaType: 'application/schema+json' });
  }
}

/**
 * A dataset's JSON and CSV. A dataset with files has a `file` column, empty for a missing file:
 * README.txt and manifest.json say which files are missing.
 */
function renderJobs(dataset: DatasetSummary): [json: RenderJob, csv: RenderJob] {
  const columns = dataset.description.columns;
  return [
    { kind: 'json', columns },
    { kind: 'csv', columns: dataset.files > 0 ? [...columns, 'file'] : columns },
  ];
}

function* datasetsOf(ctx: ExportContext) {
  for (const section of ctx.sections) {
    if (section.status !== 'completed') continue;
    for (const dataset of section.datasets) {
      const base = `${sanitizeFileName(section.id, 'feature')}/${sanitizeFileName(dataset.description.name, 'dataset')}`;
      yield { section, dataset, base };
    }
  }
}

function addPrepared(archive: ZipArchive, ctx: ExportContext, path: string, prepared: PreparedText, mediaType: string) {
  return archive.addDeflated(path, prepared, ctx.results, prepared.key, mediaType);
}

/** One dataset file rendered on this thread; each file numbers the dataset's files afresh, in collection order. */
async function* datasetFile(
  section: FeatureSection,
  dataset: string,
  spool: SpoolEntry | undefined,
  job: RenderJob,
  results: BlobStore,
): AsyncGenerator<Buffer> {
  const numbering = new FileNumbering(section.id);
  const withFile: WithFile = (row, file) => outputRow(section, { dataset, row, file }, numbering);
  try {
    yield* renderDataset(spool ? spoolBytes(results, spool) : [], job, withFile);
  } catch (err) {
    if (err instanceof SpoolLineError) throw new PartialReadError(`partial ${spool!.key} ${err.message}`);
    throw err;
  }
}

export async function addReadme(archive: ZipArchive, ctx: ExportContext): Promise<void> {
  await archive.addText('README.txt', [readmeText(ctx)], { ...TEXT, mediaType: 'text/plain; charset=utf-8' });
}

function readmeText(ctx: ExportContext): string {
  const { request } = ctx;
  const missing = ctx.sections.reduce((sum, section) => sum + section.missingFiles.size, 0);
  const lines = [
    REQUEST_TYPE_WORDS[request.type],
    '',
    `Request:           ${request.id}`,
    `Account:           ${request.subjectAccountId}`,
    `Created:           ${formatDate(request.createdAt)}`,
    `Catalogue version: ${ctx.catalogueVersion}`,
    '',
    'This archive holds the personal data the collaboration suite holds about your account,',
    'in formats other services and programs can read. All text files are UTF-8.',
    '',
    'Layout',
    '------',
    '<feature>/<dataset>.json    The rows of one dataset as a JSON array of objects (column -> value).',
    '<feature>/<dataset>.schema.json  The JSON Schema (draft 2020-12) the JSON file follows: its columns,',
    '                            and the item of the privacy statement each one carries.',
    '<feature>/<dataset>.csv     The same rows as CSV (RFC 4180: comma separated, first line is the header).',
    "                            Text that begins with =, +, -, @, tab or CR is prefixed with ' so that",
    '                            spreadsheet programs show it instead of running it as a formula.',
    'files/<feature>/<dataset>/  The original files (documents, images, recordings). A row that belongs',
    '                            to a file names it in its "file" field or column.',
    'manifest.json               Every other file of this archive with its size and SHA-256 checksum,',
    '                            and what came of each item of each feature (as below).',
    '',
    ...rightsLines(ctx.notice),
    '',
    'Features, and what came of each item the privacy statement names',
    '-----------------------------------------------------------------',
    'Per feature: who receives its data, transfers outside your region, how long it is kept, then each item.',
    '',
    ...ctx.sections.flatMap((section) => featureLines(section, request.type, ctx.tenantNotice)),
  ];
  if (missing > 0) {
    lines.push(
      '',
      `${missing} file(s) could not be included: ${MISSING_FILE_REASON}.`,
      'manifest.json lists them under "missing"; their rows are still in the JSON and CSV files.',
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

function featureLines(section: FeatureSection, type: RequestType, tenantNotice: TenantNotice | undefined): string[] {
  return [
    featureLine(section),
    ...noticeLines(section, tenantNotice),
    ...accountItems(section, type).map((item) => `    ${item.label}: ${itemOutcomeWords(item)}`),
  ];
}

function noticeLines(section: FeatureSection, tenantNotice: TenantNotice | undefined): string[] {
  if (!section.feature) return [];
  const notice = featureNotice(section.feature, tenantNotice);
  const block = (title: string, lines: string[], gap: string | undefined) => [
    `  ${title}:`,
    ...lines.map((line) => `      - ${line}`),
    ...(gap ? [`      - Not said: ${gap}`] : []),
  ];
  return [
    ...block('Who receives it', notice.recipients.map(recipientWords), notice.gaps.recipients),
    ...block('Transfers outside your region', transferWords(notice, recipientNames(notice)), notice.gaps.transfers),
    ...block('How long it is kept', [...retentionNoticeWords(notice), ...retentionWords(section).map((l) => `Kept by law: ${l}`)], notice.gaps.retention),
    '  What came of each item:',
  ];
}

/** Once per README: who is responsible, the rights and how to use them here, complaints, automated decisions. */
function rightsLines(notice: OverallNotice): string[] {
  const contact = (value: OverallNotice['controller'], missing: string) => (value ? contactWords(value) : missing);
  return [
    'Your rights',
    '-----------',
    'Your organization is responsible for your data (the controller); the collaboration suite processes it for it.',
    `Controller:              ${contact(notice.controller, 'Not given by your organization')}`,
    `Data protection officer: ${contact(notice.dpo, 'Not named by your organization')}`,
    `Supervisory authority:   ${contact(notice.supervisoryAuthority, 'Not named by your organization')}`,
    `Your region:             ${notice.region ?? 'Not given by your organization'}`,
    ...(notice.gaps.length > 0 ? ['', 'What your organization has not told us:', ...notice.gaps.map((g) => `  - ${g}`)] : []),
    '',
    'Your rights and how to use them here:',
    ...notice.rights.map((r) => `  - ${r.right} (${r.law}): ${r.how}`),
    '',
    `Complaints: ${notice.complaint}`,
    `Automated decisions: ${notice.automatedDecisions.words}`,
  ];
}

function featureLine(section: FeatureSection): string {
  const head = `- ${featureName(section)} (${section.id}): ${statusWords(section)}`;
  if (section.status !== 'completed') return head;
  const found = section.datasets.map(rowCountWords).join(', ');
  return found ? `${head}. ${found}` : `${head}. No data held.`;
}

/** manifest.json, last: everything written before it, plus what is missing and why. */
export async function addManifest(archive: ZipArchive, ctx: ExportContext): Promise<void> {
  // Counted now: the manifest describes the entries before it, not itself.
  const count = archive.entries.length;
  await archive.addText('manifest.json', manifestJson(ctx, archive.entries, count), {
    ...TEXT,
    mediaType: 'application/json',
  });
}

function* manifestJson(ctx: ExportContext, entries: readonly ArchiveEntry[], count: number): Generator<string> {
  const head = {
    requestId: ctx.request.id,
    createdAt: ctx.request.createdAt.toISOString(),
    catalogueVersion: ctx.catalogueVersion,
    features: ctx.sections.map((section) => ({
      id: section.id,
      status: section.status,
      ...(section.error ? { error: section.error } : {}),
      items: accountItems(section, ctx.request.type),
      ...(section.withheld.length > 0 ? { withheld: withheldJson(section) } : {}),
    })),
    missing: ctx.sections.flatMap((section) =>
      [...section.missingFiles].map(([path, file]) => ({
        path,
        name: file.name,
        mediaType: file.mediaType,
        size: file.size,
        reason: MISSING_FILE_REASON,
      })),
    ),
  };
  yield `${JSON.stringify(head, null, 2).slice(0, -2)},\n  "files": [`;
  let first = true;
  for (let index = 0; index < count; index += 1) {
    const entry = entries[index];
    if (!entry) break;
    // `part`: which part of a split archive holds the file (absent when the archive is one zip).
    const { path, size, sha256, mediaType, part } = entry;
    yield `${first ? '' : ','}\n    ${JSON.stringify({ path, size, sha256, mediaType, part })}`;
    first = false;
  }
  yield first ? ']\n}\n' : '\n  ]\n}\n';
}
