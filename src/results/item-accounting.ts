import Type, { type Static } from 'typebox';
import { Processing, type DataItem } from '../catalogue/schema.js';
import type { RequestType } from '../requests/lifecycle.js';
import type { DatasetDescription, ErasureOutcome, RetentionRule } from '../features/adapter.js';
import type { DatasetSummary, FeatureSection } from './report-model.js';

/**
 * Accounts for every catalogue item of a feature with exactly one outcome, so no result (access,
 * export, deletion receipt) leaves an item unexplained. Every format takes its item list from here.
 *
 * A dataset carries an item when its description maps an output field to it: a column, or `file`
 * (the field that holds a row's file in results) for the item a row's file bytes carry.
 */

const ItemOutcome = Type.Enum([
  'found',
  'none_held',
  'not_stored',
  'retained',
  'deleted',
  'anonymized',
  'kept',
  'not_automated',
  'manual',
  'failed',
  'cancelled',
  'withheld',
]);

/** What came of one catalogue item; part of every result, and read back from a stored deletion receipt. */
export const ItemAccount = Type.Object(
  {
    id: Type.String(),
    label: Type.String(),
    outcome: ItemOutcome,
    /** found: the subject's rows carrying the item; retained, deleted, anonymized, kept: rows so handled. */
    count: Type.Optional(Type.Integer({ minimum: 0 })),
    /** not_stored: how the privacy statement says the item is handled (never `stored`). */
    processing: Type.Optional(Type.Exclude(Processing, Type.Literal('stored'))),
    /** not_stored: the statement's own words; retained: the legal obligation; failed: why the task failed; withheld: why an agent withheld it (a WITHHOLDING_REASONS code). */
    reason: Type.Optional(Type.String()),
    /** retained: the date the last retained row is erased (ISO). */
    until: Type.Optional(Type.String()),
    /** found: rows the law makes the feature keep for a period, even past a deletion request. */
    retained: Type.Optional(Type.Object({ days: Type.Integer({ minimum: 0 }), reason: Type.String() }, { additionalProperties: false })),
    /** none_held: why nothing can be held; manual: what the person who answered wrote. */
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ItemAccount = Static<typeof ItemAccount>;

type Outcome = Omit<ItemAccount, 'id' | 'label'>;

const NO_SUCH_ITEM_NOTE = "this feature's store holds no such item";

/** One account per catalogue item of the feature, in catalogue order. */
export function accountItems(section: FeatureSection, type: RequestType): ItemAccount[] {
  return (section.feature?.items ?? []).map((item) => accountItem(item, section, type));
}

export function accountItem(item: DataItem, section: FeatureSection, type: RequestType): ItemAccount {
  return { id: item.id, label: item.label, ...itemOutcome(item, section, type) };
}

function itemOutcome(item: DataItem, section: FeatureSection, type: RequestType): Outcome {
  // No store holds it, so whatever the task did, there was nothing to find or erase.
  if (item.processing !== 'stored') return { outcome: 'not_stored', processing: item.processing, reason: item.statementText };
  switch (section.status) {
    case 'completed':
      break;
    case 'not_automated':
      return { outcome: 'not_automated' };
    case 'cancelled':
      return { outcome: 'cancelled' };
    default:
      return { outcome: 'failed', reason: section.error ?? 'unknown error' };
  }
  if (section.manualNote !== undefined) return { outcome: 'manual', note: section.manualNote };
  const withheld = section.withheld.find((w) => carries(w.description, item.id));
  if (withheld && !holdsItem(section, item.id)) return { outcome: 'withheld', reason: withheld.reason };
  if (!holdsItem(section, item.id)) return { outcome: 'none_held', note: NO_SUCH_ITEM_NOTE };
  return type === 'deletion' ? erasureOutcome(item.id, section.erasure) : collectionOutcome(item.id, section.datasets);
}

function holdsItem(section: FeatureSection, itemId: string): boolean {
  return (
    section.descriptions.some((d) => carries(d, itemId)) || section.erasure.some((o) => o.items.includes(itemId))
  );
}

function carries(description: DatasetDescription, itemId: string): boolean {
  return Object.values(description.items).includes(itemId);
}

function collectionOutcome(itemId: string, datasets: DatasetSummary[]): Outcome {
  const found = datasets.filter((d) => d.rows > 0 && carries(d.description, itemId));
  const count = sum(found.map((d) => d.rows));
  if (count === 0) return { outcome: 'none_held' };
  const rule = longest(found.flatMap((d) => (d.description.retention ? [d.description.retention] : [])));
  return rule ? { outcome: 'found', count, retained: { days: rule.days, reason: rule.reason } } : { outcome: 'found', count };
}

// Where datasets have different periods, the longest is the one the subject must be told about.
function longest(rules: RetentionRule[]): RetentionRule | undefined {
  return rules.reduce<RetentionRule | undefined>((best, rule) => (best && best.days >= rule.days ? best : rule), undefined);
}

/**
 * Where several datasets carry an item, the least complete erasure wins, so the receipt never
 * overstates: retained (kept whole for the law), then kept (shared, authorship removed where
 * possible), then anonymized, then deleted.
 */
function erasureOutcome(itemId: string, outcomes: ErasureOutcome[]): Outcome {
  const carrying = outcomes.filter((o) => o.items.includes(itemId));
  const retained = sum(carrying.map((o) => o.retained ?? 0));
  if (retained > 0) return retainedOutcome(carrying.filter((o) => (o.retained ?? 0) > 0), retained);
  for (const action of ['kept', 'anonymized', 'deleted'] as const) {
    const count = sum(carrying.map((o) => o[action]));
    if (count > 0) return { outcome: action, count };
  }
  return { outcome: 'none_held' };
}

function retainedOutcome(retaining: ErasureOutcome[], count: number): Outcome {
  const reasons = [...new Set(retaining.flatMap((o) => (o.retentionReason ? [o.retentionReason] : [])))];
  // ISO dates compare as strings; the latest is when the last of the item's rows goes.
  const until = retaining.flatMap((o) => (o.retainedUntil ? [o.retainedUntil] : [])).sort().at(-1);
  return {
    outcome: 'retained',
    count,
    reason: reasons.length > 0 ? reasons.join('; ') : 'kept for a legal obligation',
    ...(until ? { until } : {}),
  };
}

function sum(values: number[]): number {
  return values.reduce((total, n) => total + n, 0);
}
