import type { BlobStore } from '../../blobs/blob-store.js';
import type { RequestType } from '../../requests/lifecycle.js';
import type { RequestRow } from '../../requests/tables.js';
import { FileNumbering } from '../file-names.js';
import { accountItem } from '../item-accounting.js';
import { outputRow } from '../output-rows.js';
import { readDataset } from '../partials/partials.js';
import type { FeatureSection } from '../report-model.js';
import type { TenantNotice } from '../../notice/schemas.js';
import { featureNotice, type OverallNotice } from '../../notice/subject-notice.js';

/**
 * data.json of an access result, the machine-readable twin of index.html:
 * `{ request, catalogue: { version }, notice, features: [ { id, name, purpose, categories, sources,
 * notice, items, status, error?, withheld?, datasets: { <name>: [rows...] } } ] }`. `notice` is what the
 * report says once (controller, rights, complaints, automated decisions, what the organization has not
 * given) and per feature (recipients, transfers, retention, gaps): see notice/subject-notice.ts. Each item is its account
 * (`{ id, label, outcome, count?, reason?, until?, ... }`, see item-accounting.ts) with the catalogue's
 * processing, examples and retention.
 * Written piece by piece: each row is serialized on its own as it is read from the partial,
 * never the whole document at once.
 */

interface AccessDataContext {
  request: RequestRow;
  catalogueVersion: string;
  sections: FeatureSection[];
  results: BlobStore;
  tenantNotice: TenantNotice | undefined;
  notice: OverallNotice;
}

export async function* accessDataJson(ctx: AccessDataContext): AsyncGenerator<string> {
  yield `{\n"request": ${JSON.stringify(requestJson(ctx.request))},\n`;
  yield `"catalogue": ${JSON.stringify({ version: ctx.catalogueVersion })},\n`;
  yield `"notice": ${JSON.stringify(ctx.notice)},\n"features": [`;
  let first = true;
  for (const section of ctx.sections) {
    yield `${first ? '' : ','}\n`;
    first = false;
    yield* featureJson(section, ctx, ctx.results);
  }
  yield '\n]\n}\n';
}

function requestJson(request: RequestRow) {
  return {
    id: request.id,
    type: request.type,
    tenantId: request.tenantId,
    accountId: request.subjectAccountId,
    createdAt: request.createdAt.toISOString(),
    catalogueVersion: request.catalogueVersion,
  };
}

async function* featureJson(section: FeatureSection, ctx: AccessDataContext, results: BlobStore): AsyncGenerator<string> {
  yield `${openObject(featureFields(section, ctx.request.type, ctx.tenantNotice), 'datasets')}{`;
  if (section.status === 'completed') {
    let first = true;
    for (const dataset of section.datasets) {
      yield `${first ? '' : ','}\n${JSON.stringify(dataset.description.name)}: [`;
      first = false;
      yield* datasetRows(section, dataset.description.name, results);
      yield ']';
    }
  }
  yield '}}';
}

async function* datasetRows(section: FeatureSection, dataset: string, results: BlobStore): AsyncGenerator<string> {
  const numbering = new FileNumbering(section.id);
  let first = true;
  for await (const record of readDataset(results, section.spools, dataset)) {
    yield `${first ? '' : ','}\n${JSON.stringify(outputRow(section, record, numbering))}`;
    first = false;
  }
  if (!first) yield '\n';
}

function featureFields(section: FeatureSection, type: RequestType, tenantNotice: TenantNotice | undefined): Record<string, unknown> {
  const feature = section.feature;
  return {
    id: section.id,
    name: feature?.name ?? section.id,
    purpose: feature?.purpose ?? null,
    categories: feature?.categories ?? [],
    sources: feature?.sources ?? [],
    notice: feature ? featureNotice(feature, tenantNotice) : null,
    items: (feature?.items ?? []).map((item) => ({
      ...accountItem(item, section, type),
      processing: item.processing,
      ...(item.examples ? { examples: item.examples } : {}),
      ...(item.retention ? { retention: item.retention } : {}),
    })),
    status: section.status,
    ...(section.error ? { error: section.error } : {}),
    ...(section.withheld.length > 0 ? { withheld: withheldJson(section) } : {}),
  };
}

/** The datasets an agent withheld, with the reason (their rows are not in the result). */
export function withheldJson(section: FeatureSection) {
  return section.withheld.map(({ description, reason }) => ({ dataset: description.name, title: description.title, reason }));
}

/** `{"a":1,"b":2,"<key>":` — an object left open at its last key, whose value is streamed next. */
function openObject(fields: Record<string, unknown>, key: string): string {
  const closed = JSON.stringify(fields);
  const separator = closed === '{}' ? '' : ',';
  return `${closed.slice(0, -1)}${separator}${JSON.stringify(key)}:`;
}
