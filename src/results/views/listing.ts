import type { BlobStore } from '../../blobs/blob-store.js';
import type { Row } from '../../features/adapter.js';
import { FileNumbering } from '../file-names.js';
import { readDataset } from '../partials/partials.js';
import type { DatasetSummary, FeatureSection } from '../report-model.js';
import { archivedFile, type ArchivedFile } from './files.js';

/**
 * What the views of a feature's data have in common. A view turns one or more datasets of a
 * feature into a Listing: rows the report shows either inline in index.html or, past the page
 * size, on numbered pages of their own. Views read the partial again for every page they render
 * and keep at most one page of rows, so memory does not grow with what the subject holds.
 */

export type { Row };

export interface ViewContext {
  section: FeatureSection;
  results: BlobStore;
  /** The subject's account id: their own messages, events and shares are shown as theirs. */
  subject: string;
}

/** Rows `start` (inclusive) to `end` (exclusive) of a listing, in its own order. */
export interface RowRange {
  start: number;
  end: number;
  /** The listing's last (or only) page. */
  last: boolean;
}

export interface PageContext {
  range: RowRange;
  /** Prefix that leads from the page being written to the archive's root: '' or '../'. */
  root: string;
}

export interface Listing {
  /** Names the pages: `pages/<feature>-<name>-<n>.html`. */
  name: string;
  title: string;
  /** What the listing holds, in words: "12 messages in 3 conversations". */
  countWords: string;
  /** What a page is counted in: the listing's rows. */
  rows: number;
  /** One page of the listing; called once per page, in page order. */
  render(page: PageContext): AsyncGenerator<string>;
}

/** A view of a feature: the listing and the datasets it shows; undefined when the data does not fit it. */
export type FeatureView = (ctx: ViewContext) => { listing: Listing; shows: string[] } | undefined;

/** A row with its file as it was copied into the archive. */
export interface PagedRow {
  row: Row;
  file?: ArchivedFile;
}

/**
 * The rows of one dataset within a page's range, in collection order. Files are numbered for
 * every row, also the skipped ones, so paths match the copy pass; reading stops after the page.
 */
export async function* rowsOnPage(ctx: ViewContext, dataset: string, range: RowRange): AsyncGenerator<PagedRow> {
  if (range.start >= range.end) return;
  const numbering = new FileNumbering(ctx.section.id);
  let index = 0;
  for await (const record of readDataset(ctx.results, ctx.section.spools, dataset)) {
    const file = record.file && archivedFile(ctx.section, numbering, record.dataset, record.file);
    if (index >= range.start) yield file ? { row: record.row, file } : { row: record.row };
    index += 1;
    if (index >= range.end) return;
  }
}

/**
 * Whether a group of rows [from, to) (a conversation, a folder) belongs on a page: when any of
 * its rows do; a group without rows goes on the page its position falls on.
 */
export function onPage(range: RowRange, from: number, to: number): boolean {
  if (from < to) return from < range.end && to > range.start;
  return from >= range.start && (from < range.end || range.last);
}

/** The dataset `name` if it has every column a view needs; views fall back to tables when one is missing. */
export function datasetWith(ctx: ViewContext, name: string, columns: string[]): DatasetSummary | undefined {
  const dataset = ctx.section.datasets.find((d) => d.description.name === name);
  return dataset && columns.every((c) => dataset.description.columns.includes(c)) ? dataset : undefined;
}

/** A cell as text; null, missing and empty values are undefined. */
export function textOf(row: Row, column: string): string | undefined {
  const value = row[column];
  if (value === null || value === undefined || value === '') return undefined;
  return String(value);
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}
