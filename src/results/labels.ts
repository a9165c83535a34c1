import type { DataItem, Processing, Source } from '../catalogue/schema.js';
import type { RequestType, WithholdingReason } from '../requests/lifecycle.js';
import type { ItemAccount } from './item-accounting.js';
import { ERASURE_OUTCOMES, restrictionWords, type ErasureResult } from '../features/erasure-outcomes.js';
import type { DatasetSummary, FeatureSection } from './report-model.js';

/** The words results use for catalogue and status codes, so HTML and README say the same thing. */

const SOURCE_WORDS: Record<Source, string> = {
  end_user: 'Submitted by you',
  app: 'Collected by the app',
  enterprise: 'Uploaded by your organization',
};

/** Marks for items no store holds; `stored` needs no mark. */
const PROCESSING_MARKS: Record<Exclude<Processing, 'stored'>, string> = {
  processed_not_saved: 'processed but not saved',
  read_not_saved: 'read only but not saved',
  authentication_only_not_collected: 'only for authentication, not collected',
};

export const REQUEST_TYPE_WORDS: Record<RequestType, string> = {
  access: 'Access to your personal data',
  export: 'Export of your personal data',
  deletion: 'Deletion of your personal data',
  correction: 'Correction of your personal data',
};

/** Why an agent withheld data from a result, as the subject reads it. */
export const WITHHOLDING_WORDS: Record<WithholdingReason, string> = {
  third_party_rights: "it would reveal other people's personal data and so adversely affect their rights and freedoms (GDPR Art. 15(4))",
  legal_privilege: 'it is covered by legal privilege',
  trade_secret: 'it would disclose trade secrets or intellectual property',
  legal_exemption: 'a legal exemption applies to it',
  other: 'our support team withheld it; ask them why',
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
      return section.manualNote === undefined ? 'Collected' : 'Answered by hand';
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
  return `${dataset.description.title}: ${rowsWords(dataset.rows)}`;
}

export function rowsWords(count: number): string {
  return `${count} ${count === 1 ? 'row' : 'rows'}`;
}

/** What came of one catalogue item, in a sentence the subject can read. */
export function itemOutcomeWords(account: ItemAccount): string {
  const rows = rowsWords(account.count ?? 0);
  switch (account.outcome) {
    case 'found':
      return account.retained
        ? `Found: ${rows}, kept for ${account.retained.days} days by law: ${account.retained.reason}`
        : `Found: ${rows}`;
    case 'none_held':
      return account.note ? `None held: ${account.note}` : 'None held';
    case 'not_stored':
      return `Not stored: ${account.processing ? PROCESSING_MARKS[account.processing] : 'no store holds it'} (privacy statement: "${account.reason ?? ''}")`;
    case 'retained':
    case 'deleted':
    case 'anonymized':
    case 'kept':
      return erasureWords(account.outcome, account, rows);
    case 'not_automated':
      return 'Not automated: answered separately by your organization';
    case 'manual':
      return account.note ? `Answered by hand: ${account.note}` : 'Answered by hand';
    case 'failed':
      return `Could not be processed: ${account.reason ?? 'unknown error'}`;
    case 'cancelled':
      return 'Cancelled';
    case 'withheld':
      return `Withheld: ${WITHHOLDING_WORDS[account.reason as WithholdingReason] ?? account.reason}`;
  }
}

/** An erasure's outcome: its word, what it means (erasure-outcomes.ts), and this item's particulars. */
function erasureWords(outcome: ErasureResult, account: ItemAccount, rows: string): string {
  const { word, explanation } = ERASURE_OUTCOMES[outcome];
  switch (outcome) {
    case 'retained': {
      // Rows marked restricted say so with the date; the explanation says it for those that are not marked.
      const restricted = account.restricted && account.until ? `${restrictionWords('that obligation', account.until)}, used for nothing else.` : explanation;
      return `${word} (${rows})${account.until ? ` until ${account.until}` : ''}: ${account.reason ?? ''} ${restricted}`;
    }
    case 'deleted':
      return `${word} (${rows}). ${explanation}`;
    default:
      return `${word} (${rows}). ${explanation}${account.reason ? ` Why: ${account.reason}` : ''}`;
  }
}

export const NO_DATA_SENTENCE = 'We hold no data of yours for this feature.';

/** Dates for people: `2024-05-01 09:30:00 UTC`. */
export function formatDate(date: Date): string {
  return date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
}

/** A timestamp from a row (ISO 8601) to the minute, `2024-05-01 09:30 UTC`; anything else as it is. */
export function formatMinute(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Sizes for people: `830 bytes`, `12.4 KB`, `3.1 MB` (1 KB = 1024 bytes). */
export function formatBytes(size: number): string {
  if (size < 1024) return `${size} ${size === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * How long a feature keeps the data, as far as the catalogue and the adapter say: the
 * privacy statement's retention notes, then periods the law imposes on datasets.
 */
export function retentionWords(section: FeatureSection): string[] {
  const notes = (section.feature?.items ?? []).flatMap((item) => (item.retention ? [item.retention.note] : []));
  const periods = section.descriptions.flatMap((d) =>
    d.retention ? [`${d.title}: ${d.retention.days} days. ${d.retention.reason}`] : [],
  );
  return [...new Set([...notes, ...periods])];
}
