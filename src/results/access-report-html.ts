import type { BlobStore } from '../blobs/blob-store.js';
import type { RequestRow } from '../db/schema.js';
import type { CollectedRecord } from '../features/adapter.js';
import { FileNumbering, relativeHref } from './file-names.js';
import { html, raw } from './html.js';
import {
  featureName,
  formatDate,
  itemNotes,
  NO_DATA_SENTENCE,
  REQUEST_TYPE_WORDS,
  rowCountWords,
  sourceWords,
  statusWords,
} from './labels.js';
import { isImage } from './media.js';
import { readDataset } from './partials.js';
import { columnItemLabel, requestCompletedAt, totalRows, type DatasetSummary, type FeatureSection } from './report-model.js';

/**
 * index.html of an access result: a page the subject opens offline from the extracted archive.
 * Self-contained (inline CSS, no scripts, nothing external), every value escaped, rows streamed
 * from the partials one at a time so the page can be as long as the data without memory growing.
 */

export interface AccessReportContext {
  request: RequestRow;
  catalogueVersion: string;
  sections: FeatureSection[];
  results: BlobStore;
  now: Date;
}

export async function* accessReportHtml(ctx: AccessReportContext): AsyncGenerator<string> {
  yield documentStart(ctx.request);
  yield requestHeader(ctx);
  yield summaryTable(ctx.sections);
  for (const section of ctx.sections) yield* featureSection(section, ctx.results);
  yield '</main>\n</body>\n</html>\n';
}

// Scripts are blocked outright: the page shows other people's words (messages, file names), and
// escaping is the first line of defence, this policy the second. Images stay allowed (relative files).
const STYLE = `
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f; margin: 0; background: #f6f7f9; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
header, section { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 16px 24px; margin-bottom: 20px; }
h1 { font-size: 1.6em; margin: 0 0 8px; } h2 { font-size: 1.3em; margin: 0 0 8px; } h3 { font-size: 1.05em; margin: 20px 0 6px; } h4 { margin: 16px 0 6px; }
dl.request { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; } dl.request dt { font-weight: 600; } dl.request dd { margin: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { border: 1px solid #dde1e6; padding: 4px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
td { white-space: pre-wrap; }
th { background: #f0f2f5; } th small { display: block; font-weight: normal; color: #5f6670; }
.note { display: inline-block; background: #fff4d6; border-radius: 4px; padding: 0 6px; margin-left: 4px; font-size: 0.88em; }
.examples, .count { color: #5f6670; }
.notice { background: #eef4ff; border-left: 4px solid #4a7bd0; padding: 8px 12px; }
.notice.error, .missing { color: #9b1c1c; } .notice.error { background: #fdeeee; border-left-color: #c53030; }
td img { display: block; max-width: 240px; max-height: 240px; margin-top: 4px; }
@media print { body { background: #fff; } header, section { border: none; } .scroll { overflow: visible; } }
`;

function documentStart(request: RequestRow): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'">
<title>Your personal data — request ${request.id}</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<main>
`;
}

function requestHeader(ctx: AccessReportContext): string {
  const { request } = ctx;
  const rows: [string, string][] = [
    ['Request', request.id],
    ['Type', `${REQUEST_TYPE_WORDS[request.type]} (${request.type})`],
    ['Account', request.subjectAccountId],
    ['Created', formatDate(request.createdAt)],
    ['Completed', formatDate(requestCompletedAt(request, ctx.now))],
    ['Catalogue version', ctx.catalogueVersion],
  ];
  return html`<header>
<h1>Your personal data</h1>
<p>This is the personal data the collaboration suite holds about your account, feature by feature, with what each feature uses it for. Files you uploaded are in the <code>files</code> folder next to this page; the same data in machine-readable form is in <code>data.json</code>.</p>
<dl class="request">
${raw(rows.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`).join('\n'))}
</dl>
</header>
`;
}

function summaryTable(sections: FeatureSection[]): string {
  const rows = sections.map(
    (section) => html`<tr><td><a href="#${anchor(section)}">${featureName(section)}</a></td><td>${statusWords(section)}</td><td>${raw(foundCell(section))}</td></tr>`,
  );
  return html`<section id="summary">
<h2>Summary</h2>
<div class="scroll"><table>
<thead><tr><th>Feature</th><th>Status</th><th>Data found</th></tr></thead>
<tbody>
${raw(rows.join('\n'))}
</tbody>
</table></div>
</section>
`;
}

function foundCell(section: FeatureSection): string {
  if (section.status !== 'completed') return '';
  if (totalRows(section) === 0) return html`No data held`;
  return section.datasets.map((dataset) => html`${rowCountWords(dataset)}`).join('<br>');
}

async function* featureSection(section: FeatureSection, results: BlobStore): AsyncGenerator<string> {
  yield html`<section class="feature" id="${anchor(section)}">\n<h2>${featureName(section)}</h2>\n`;
  yield catalogueDescription(section);
  yield '<h3>Data we found</h3>\n';
  if (section.status !== 'completed') {
    yield statusNotice(section);
  } else if (totalRows(section) === 0) {
    yield html`<p>${NO_DATA_SENTENCE}</p>\n`;
  } else {
    for (const dataset of section.datasets) yield* datasetTable(section, dataset, results);
  }
  yield '</section>\n';
}

/** What the catalogue (the privacy statement) says this feature does with personal data. */
function catalogueDescription(section: FeatureSection): string {
  const feature = section.feature;
  if (!feature) return '';
  const items = feature.items.map((item) => {
    const examples = item.examples?.length ? html` <span class="examples">(for example ${item.examples.join(', ')})</span>` : '';
    const notes = itemNotes(item).map((note) => html` <span class="note">${note}</span>`);
    return html`<li>${item.label}${raw(examples)}${raw(notes.join(''))}</li>`;
  });
  return html`<p><strong>Purpose:</strong> ${feature.purpose}</p>
<p><strong>Categories:</strong> ${feature.categories.join(', ')}</p>
<p><strong>Sources:</strong> ${sourceWords(section).join('; ')}</p>
<h3>What this feature handles</h3>
<ul class="items">
${raw(items.join('\n'))}
</ul>
`;
}

function statusNotice(section: FeatureSection): string {
  switch (section.status) {
    case 'not_automated':
      return html`<p class="notice">This feature is not automated yet, so its data is not part of this report. It is answered separately; your organization's privacy contact can tell you more.</p>\n`;
    case 'failed':
      return html`<p class="notice error">Your data from this feature could not be collected: ${section.error ?? 'unknown error'}</p>\n`;
    default:
      return html`<p class="notice">${statusWords(section)}.</p>\n`;
  }
}

async function* datasetTable(section: FeatureSection, dataset: DatasetSummary, results: BlobStore): AsyncGenerator<string> {
  const { description } = dataset;
  const count = `(${dataset.rows} ${dataset.rows === 1 ? 'row' : 'rows'})`;
  yield html`<h4>${description.title} <span class="count">${count}</span></h4>\n`;
  if (dataset.rows === 0) {
    yield '<p>None.</p>\n';
    return;
  }
  const headers = description.columns.map((column) => {
    const label = columnItemLabel(section, description, column);
    return html`<th>${column}${raw(label ? html`<small>${label}</small>` : '')}</th>`;
  });
  if (dataset.files > 0) headers.push('<th>File</th>');
  yield `<div class="scroll"><table>\n<thead><tr>${headers.join('')}</tr></thead>\n<tbody>\n`;
  // Numbering restarts per pass, exactly as in the pass that copied the files.
  const numbering = new FileNumbering(section.id);
  for await (const record of readDataset(results, section.task.partialKey, description.name)) {
    const cells = description.columns.map((column) => html`<td>${formatValue(record.row[column])}</td>`);
    if (dataset.files > 0) cells.push(`<td>${fileCell(section, record, numbering)}</td>`);
    yield `<tr>${cells.join('')}</tr>\n`;
  }
  yield '</tbody>\n</table></div>\n';
}

function fileCell(section: FeatureSection, record: CollectedRecord, numbering: FileNumbering): string {
  if (!record.file) return '';
  const path = numbering.pathFor(record.dataset, record.file.name);
  if (section.missingFiles.has(path)) {
    return html`<span class="missing">${record.file.name} — this file no longer exists and could not be included</span>`;
  }
  const href = relativeHref(path);
  const image = isImage(record.file.mediaType) ? html`<img src="${href}" alt="${record.file.name}" loading="lazy">` : '';
  return html`<a href="${href}">${record.file.name}</a>${raw(image)}`;
}

function formatValue(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

function anchor(section: FeatureSection): string {
  return `feature-${section.id}`;
}
