import type { BlobStore } from '../../blobs/blob-store.js';
import type { RequestType } from '../../requests/lifecycle.js';
import type { RequestRow } from '../../requests/tables.js';
import { relativeHref, sanitizeFileName } from '../file-names.js';
import { html, raw } from '../html.js';
import { accountItem } from '../item-accounting.js';
import { readDataset } from '../partials/partials.js';
import { REDACTIONS_DATASET } from '../../features/shared-data.js';
import {
  featureName,
  formatDate,
  itemNotes,
  itemOutcomeWords,
  NO_DATA_SENTENCE,
  REQUEST_TYPE_WORDS,
  retentionWords,
  rowCountWords,
  sourceWords,
  statusWords,
  WITHHOLDING_WORDS,
} from '../labels.js';
import { totalRows, type FeatureSection } from '../report-model.js';
import { documentStart, DOCUMENT_END } from '../views/document.js';
import { featureListings, type Listing, type RowRange } from '../views/index.js';
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
 * The human-readable part of an access result: index.html, a page the subject opens offline from
 * the extracted archive (or online, served from the archive as it is), and the pages/ it links to.
 * Self-contained (inline CSS, no scripts, nothing external), every value escaped, rows streamed
 * from the partials so the pages can be as long as the data without memory growing.
 *
 * A listing of more than `pageRows` rows goes to pages of its own, `pages/<feature>-<name>-<n>.html`,
 * which index.html links to and which link to each other; every link is relative, so the report
 * works the same from a folder and under any URL prefix.
 */

interface AccessReportContext {
  request: RequestRow;
  catalogueVersion: string;
  sections: FeatureSection[];
  results: BlobStore;
  /** The tenant's notice the request recorded (undefined: none), and what the result says once. */
  tenantNotice: TenantNotice | undefined;
  notice: OverallNotice;
  /** Rows a listing shows in index.html before it moves to pages of its own. */
  pageRows?: number;
}

/** Where the report goes: the archive (ZipArchive), seen only as far as the report needs it. */
interface ReportArchive {
  addText(path: string, pieces: AsyncIterable<string>, options: { mediaType: string; compress: boolean }): Promise<unknown>;
}

const DEFAULT_PAGE_ROWS = 1000;

const HTML_ENTRY = { mediaType: 'text/html', compress: true };

interface FeatureListings {
  section: FeatureSection;
  listings: Listing[];
}

/** Adds index.html, then each paged listing's pages in order. */
export async function addAccessReport(archive: ReportArchive, ctx: AccessReportContext): Promise<void> {
  const pageRows = Math.max(1, Math.floor(ctx.pageRows ?? DEFAULT_PAGE_ROWS));
  const features = ctx.sections.map((section) => ({ section, listings: listingsOf(section, ctx) }));
  await archive.addText('index.html', indexHtml(ctx, features, pageRows), HTML_ENTRY);
  for (const { section, listings } of features) {
    for (const listing of listings) {
      const pages = pageCount(listing, pageRows);
      for (let n = 1; pages > 1 && n <= pages; n += 1) {
        await archive.addText(pagePath(section, listing, n), pageHtml(ctx, section, listing, { n, pages, pageRows }), HTML_ENTRY);
      }
    }
  }
}

function listingsOf(section: FeatureSection, ctx: AccessReportContext): Listing[] {
  if (section.status !== 'completed' || totalRows(section) === 0) return [];
  return featureListings({ section, results: ctx.results, subject: ctx.request.subjectAccountId });
}

/** 1 when the listing fits in index.html. */
function pageCount(listing: Listing, pageRows: number): number {
  return listing.rows > pageRows ? Math.ceil(listing.rows / pageRows) : 1;
}

function pagePath(section: FeatureSection, listing: Listing, n: number): string {
  return `pages/${sanitizeFileName(section.id, 'feature')}-${sanitizeFileName(listing.name, 'data')}-${n}.html`;
}

async function* indexHtml(ctx: AccessReportContext, features: FeatureListings[], pageRows: number): AsyncGenerator<string> {
  yield documentStart(`Your personal data — request ${ctx.request.id}`);
  yield requestHeader(ctx);
  yield summaryTable(ctx.sections);
  yield redactionLine(ctx.sections);
  yield withheldLine(ctx.sections);
  yield rightsSection(ctx.notice);
  for (const feature of features) yield* featureSection(feature, ctx, pageRows);
  yield DOCUMENT_END;
}

function requestHeader(ctx: AccessReportContext): string {
  const { request } = ctx;
  const rows: [string, string][] = [
    ['Request', request.id],
    ['Type', `${REQUEST_TYPE_WORDS[request.type]} (${request.type})`],
    ['Account', request.subjectAccountId],
    ['Created', formatDate(request.createdAt)],
    ['Catalogue version', ctx.catalogueVersion],
  ];
  return html`<header>
<h1>Your personal data</h1>
<p>This is the personal data the collaboration suite holds about your account, feature by feature, with what each feature uses it for, who receives it, where it goes and how long it is kept. Files you uploaded are in the <code>files</code> folder next to this page; the same data in machine-readable form is in <code>data.json</code>.</p>
<p>Who is responsible for your data, your rights and how to use them, and where to complain: <a href="#your-rights">Your rights</a>.</p>
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
<div class="scroll"><table class="stack">
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

async function* featureSection({ section, listings }: FeatureListings, ctx: AccessReportContext, pageRows: number): AsyncGenerator<string> {
  yield html`<section class="feature" id="${anchor(section)}">\n<h2>${featureName(section)}</h2>\n`;
  yield catalogueDescription(section, ctx.request.type, ctx.tenantNotice);
  yield '<h3>Data we found</h3>\n';
  if (section.manualNote !== undefined) {
    // The files the person supplied follow as the feature's data.
    yield html`<p class="notice">This feature was answered by hand by our support team. ${section.manualNote}</p>\n`;
  }
  yield withheldBox(section);
  if (section.status !== 'completed') {
    yield statusNotice(section);
  } else if (totalRows(section) === 0) {
    yield html`<p>${NO_DATA_SENTENCE}</p>\n`;
  } else {
    yield* redactionBox(section, ctx.results);
    for (const listing of listings) yield* listingInIndex(section, listing, pageRows);
  }
  yield '</section>\n';
}

function redactionCount(section: FeatureSection): number {
  return section.datasets.find((d) => d.description.name === REDACTIONS_DATASET.name)?.rows ?? 0;
}

/** GDPR Art. 15(4): what other people's data the result leaves out or renames is said up front, never dropped silently. */
function redactionLine(sections: FeatureSection[]): string {
  const named = sections.filter((s) => s.status === 'completed' && redactionCount(s) > 0);
  if (named.length === 0) return '';
  const links = named.map((s) => html`<a href="#${anchor(s)}">${featureName(s)}</a>`).join(', ');
  return html`<p class="notice redactions">To protect other people, some of their data was left out or pseudonymized in ${raw(links)}. Each of these sections says what and why.</p>\n`;
}

/** Data an agent withheld on release is named up front, with the reason, never left out silently. */
function withheldLine(sections: FeatureSection[]): string {
  const named = sections.filter((s) => s.withheld.length > 0);
  if (named.length === 0) return '';
  const links = named.map((s) => html`<a href="#${anchor(s)}">${featureName(s)}</a>`).join(', ');
  return html`<p class="notice redactions">Some data was withheld from this report in ${raw(links)}. Each of these sections says what and why.</p>\n`;
}

function withheldBox(section: FeatureSection): string {
  if (section.withheld.length === 0) return '';
  const lines = section.withheld.map(({ description, reason }) => html`<li>${description.title}: ${WITHHOLDING_WORDS[reason]}.</li>`);
  return html`<div class="notice redactions" role="note"><h4>Withheld from this report</h4>\n<ul>\n${raw(lines.join('\n'))}\n</ul></div>\n`;
}

/** The feature's redactions in a sentence each (the rows for the whole feature); the table below lists them per space. */
async function* redactionBox(section: FeatureSection, results: BlobStore): AsyncGenerator<string> {
  if (redactionCount(section) === 0) return;
  const lines: string[] = [];
  for await (const { row } of readDataset(results, section.spools, REDACTIONS_DATASET.name)) {
    if (row.space === null) lines.push(html`<li>${String(row.summary)}. <span class="meta">${String(row.reason)}</span></li>`);
  }
  yield html`<div class="notice redactions" role="note"><h4>${REDACTIONS_DATASET.title}</h4>\n<ul>\n${raw(lines.join('\n'))}\n</ul></div>\n`;
}

/**
 * What the catalogue (the privacy statement) says this feature does with personal data, how long
 * it is kept, and what came of each item it names for this subject.
 */
function catalogueDescription(section: FeatureSection, type: RequestType, tenantNotice: TenantNotice | undefined): string {
  const feature = section.feature;
  if (!feature) return '';
  const rows = feature.items.map((item) => {
    const examples = item.examples?.length ? html` <span class="examples">(for example ${item.examples.join(', ')})</span>` : '';
    const notes = itemNotes(item).map((note) => html` <span class="note">${note}</span>`);
    const account = accountItem(item, section, type);
    return html`<tr class="item ${account.outcome}"><td>${item.label}${raw(examples)}${raw(notes.join(''))}</td><td>${itemOutcomeWords(account)}</td></tr>`;
  });
  return html`<div class="facts">
<p><strong>Purpose:</strong> ${feature.purpose}</p>
<p><strong>Categories:</strong> ${feature.categories.join(', ')}</p>
<p><strong>Sources:</strong> ${sourceWords(section).join('; ')}</p>
</div>
${raw(noticeBlock(section, tenantNotice))}<h3>What this feature handles</h3>
<div class="scroll"><table class="items stack">
<thead><tr><th>Item</th><th>For you</th></tr></thead>
<tbody>
${raw(rows.join('\n'))}
</tbody>
</table></div>
`;
}

/** Who receives the feature's data, transfers outside the subject's region, how long it is kept; and what nobody has said. */
function noticeBlock(section: FeatureSection, tenantNotice: TenantNotice | undefined): string {
  if (!section.feature) return '';
  const notice = featureNotice(section.feature, tenantNotice);
  const kept = [...retentionNoticeWords(notice), ...retentionWords(section).map((line) => `Kept by law: ${line}`)];
  return html`<div class="facts notice-block">
<h3>Who receives it, transfers, how long</h3>
<h4>Who receives it</h4>
${raw(noticeList(notice.recipients.map(recipientWords), notice.gaps.recipients))}
<h4>Transfers outside your region</h4>
${raw(noticeList(transferWords(notice, recipientNames(notice)), notice.gaps.transfers))}
<h4>How long it is kept</h4>
${raw(noticeList(kept, notice.gaps.retention))}
</div>
`;
}

/** A list of what is said, then what is not, marked as such. */
function noticeList(lines: string[], gap: string | undefined): string {
  const items = lines.map((line) => html`<li>${line}</li>`);
  if (gap) items.push(html`<li class="gap"><strong>Not said:</strong> ${gap}</li>`);
  return `<ul>\n${items.join('\n')}\n</ul>`;
}

/** Once per report: who is responsible, the subject's rights and how to use them here, complaints, automated decisions. */
function rightsSection(notice: OverallNotice): string {
  const contact = (label: string, value: OverallNotice['controller'], missing: string) =>
    html`<dt>${label}</dt><dd>${value ? contactWords(value) : missing}</dd>`;
  const rows = notice.rights.map((r) => html`<tr><td>${r.right}</td><td>${r.how}</td><td>${r.law}</td></tr>`);
  const gaps =
    notice.gaps.length === 0
      ? ''
      : html`<div class="notice gaps" role="note"><h4>What your organization has not told us</h4>\n<ul>\n${raw(notice.gaps.map((g) => html`<li>${g}</li>`).join('\n'))}\n</ul></div>\n`;
  return html`<section id="your-rights">
<h2>Your rights</h2>
<p>What this report means: your organization is responsible for your data (the controller); the collaboration suite processes it for it. Each feature below says who receives its data, whether it leaves your region and how long it is kept.</p>
<dl class="request">
${raw(contact('Controller', notice.controller, 'Not given by your organization'))}
${raw(contact('Data protection officer', notice.dpo, 'Not named by your organization'))}
${raw(contact('Supervisory authority', notice.supervisoryAuthority, 'Not named by your organization'))}
<dt>Your region</dt><dd>${notice.region ?? 'Not given by your organization'}</dd>
</dl>
${raw(gaps)}<h3>Your rights and how to use them here</h3>
<div class="scroll"><table class="rights stack">
<thead><tr><th>Right</th><th>How to use it here</th><th>Law</th></tr></thead>
<tbody>
${raw(rows.join('\n'))}
</tbody>
</table></div>
<h3>Complaints</h3>
<p>${notice.complaint}</p>
<h3>Automated decisions</h3>
<p>${notice.automatedDecisions.words}</p>
</section>
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

/** A listing in index.html: the rows themselves, or links to the pages that hold them. */
async function* listingInIndex(section: FeatureSection, listing: Listing, pageRows: number): AsyncGenerator<string> {
  yield html`<h4>${listing.title} <span class="count">(${listing.countWords})</span></h4>\n`;
  const pages = pageCount(listing, pageRows);
  if (pages === 1) {
    yield* listing.render({ range: { start: 0, end: listing.rows, last: true }, root: '' });
    return;
  }
  const links = Array.from({ length: pages }, (_, i) => {
    const range = rangeOf(i + 1, pages, listing, pageRows);
    return html`<li><a href="${relativeHref(pagePath(section, listing, i + 1))}">Page ${i + 1}</a> <span class="meta">${rangeWords(range)}</span></li>`;
  });
  yield html`<nav class="pages" aria-label="Pages of ${listing.title}"><p>Shown on ${pages} pages of up to ${pageRows.toLocaleString('en-US')}:</p>\n<ol>\n${raw(links.join('\n'))}\n</ol></nav>\n`;
}

interface PageNumber {
  n: number;
  pages: number;
  pageRows: number;
}

async function* pageHtml(ctx: AccessReportContext, section: FeatureSection, listing: Listing, page: PageNumber): AsyncGenerator<string> {
  const range = rangeOf(page.n, page.pages, listing, page.pageRows);
  yield documentStart(`${listing.title}, page ${page.n} of ${page.pages} — ${featureName(section)} — request ${ctx.request.id}`);
  const steps = stepLinks(section, listing, page);
  yield html`<header>
<p class="crumbs"><a href="../index.html">Your personal data</a> › <a href="../index.html#${anchor(section)}">${featureName(section)}</a></p>
<h1>${listing.title}</h1>
<p>Page ${page.n} of ${page.pages}: ${rangeWords(range)} of ${listing.countWords}.</p>
${raw(steps)}
</header>
<section>
`;
  yield* listing.render({ range, root: '../' });
  yield html`</section>\n${raw(steps)}\n`;
  yield DOCUMENT_END;
}

function stepLinks(section: FeatureSection, listing: Listing, { n, pages }: PageNumber): string {
  const link = (to: number, rel: string, words: string) =>
    html`<a rel="${rel}" href="${relativeHref(pagePath(section, listing, to).slice('pages/'.length))}">${words}</a>`;
  const previous = n > 1 ? link(n - 1, 'prev', '← Previous page') : '<span>First page</span>';
  const next = n < pages ? link(n + 1, 'next', 'Next page →') : '<span>Last page</span>';
  return `<nav class="step">${previous}${next}</nav>`;
}

function rangeOf(n: number, pages: number, listing: Listing, pageRows: number): RowRange {
  return { start: (n - 1) * pageRows, end: Math.min(n * pageRows, listing.rows), last: n === pages };
}

function rangeWords({ start, end }: RowRange): string {
  const [from, to] = [start + 1, end].map((n) => n.toLocaleString('en-US'));
  return from === to ? `${from}` : `${from}–${to}`;
}

function anchor(section: FeatureSection): string {
  return `feature-${section.id}`;
}
