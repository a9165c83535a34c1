import type { DataItem, Processing, Source } from '../catalogue/schema.js';
import type { RequestType } from '../db/schema.js';
import type { DatasetSummary, FeatureSection } from './report-model.js';

/** The words results use for catalogue and status codes, so HTML and README say the same thing. */

export const SOURCE_WORDS: Record<Source, string> = {
  end_user: 'Submitted by you',
  app: 'Collected by the app',
  enterprise: 'Uploaded by your organization',
};

/** Marks for items no store holds; `stored` needs no mark. */
export const PROCESSING_MARKS: Record<Exclude<Processing, 'stored'>, string> = {
  processed_not_saved: 'processed but not saved',
  read_not_saved: 'read only but not saved',
  authentication_only_not_collected: 'only for authentication, not collected',
};

export const REQUEST_TYPE_WORDS: Record<RequestType, string> = {
  access: 'Access to your personal data',
  export: 'Export of your personal data',
  deletion: 'Deletion of your personal data',
};

/** Notes shown beside an item: how it is handled, how long it is kept. */
export function itemNotes(item: DataItem): string[] {
  const notes: string[] = [];
  if (item.processing !== 'stored') notes.push(PROCESSING_MARKS[item.processing]);
  if (item.retention) notes.push(item.retention.note);
  return notes;
}

export function sourceWords(section: FeatureSection): string[] {
  return (section.feature?.sources ?? []).map((source) => SOURCE_WORDS[source]);
}

export function featureName(section: FeatureSection): string {
  return section.feature?.name ?? section.id;
}

/** One line for the summary: what came of this feature. */
export function statusWords(section: FeatureSection): string {
  switch (section.status) {
    case 'completed':
      return 'Collected';
    case 'not_automated':
      return 'Not automated yet';
    case 'failed':
      return `Could not be collected: ${section.error ?? 'unknown error'}`;
    case 'cancelled':
      return 'Cancelled';
    default:
      return 'Not finished';
  }
}

export function rowCountWords(dataset: DatasetSummary): string {
  const rows = `${dataset.rows} ${dataset.rows === 1 ? 'row' : 'rows'}`;
  return `${dataset.description.title}: ${rows}`;
}

export const NO_DATA_SENTENCE = 'We hold no data of yours for this feature.';

/** Dates for people: `2024-05-01 09:30:00 UTC`. */
export function formatDate(date: Date): string {
  return date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
}
