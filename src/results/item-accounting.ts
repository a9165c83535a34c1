import Type, { type Static } from 'typebox';
import { Processing, type DataItem } from '../catalogue/schema.js';
import type { RequestType } from '../requests/lifecycle.js';
import type { DatasetDescription, ErasureOutcome, RetentionRule } from '../features/adapter.js';
import { ERASURE_RESULTS, LEAST_COMPLETE_FIRST, type ErasureResult } from '../features/erasure-outcomes.js';
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
  // What an erasure did: the words and what they mean are erasure-outcomes.ts'.
  ...ERASURE_RESULTS,
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
    /**
     * not_stored: the statement's own words; retained: the legal obligation; anonymized, kept: why the
     * rows stay; failed: why the task failed; withheld: why an agent withheld it (a WITHHOLDING_REASONS code).
     */
    reason: Type.Optional(Type.String()),
    /** retained: the date the last retained row is erased (ISO); until then the rows are restricted to the legal purpose. */
    until: Type.Optional(Type.String()),
    /** retained: the rows are marked restricted to the legal purpose in the feature's store. */
    restricted: Type.Optional(Type.Boolean()),
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
 * overstates (LEAST_COMPLETE_FIRST). A shared row kept without the subject is `anonymized` for the
 * items that said who they were (`identityItems`), and `kept` for the items its content carries.
 */
function erasureOutcome(itemId: string, outcomes: ErasureOutcome[]): Outcome {
  const carrying = outcomes.filter((o) => o.items.includes(itemId));
  const counts: Record<ErasureResult, number> = { retained: 0, kept: 0, anonymized: 0, deleted: 0 };
  const notes: Record<ErasureResult, string[]> = { retained: [], kept: [], anonymized: [], deleted: [] };
  for (const o of carrying) {
    for (const [action, n] of sharedAs(itemId, o)) {
      counts[action] += n;
      if (n > 0 && o.note) notes[action].push(o.note);
    }
    counts.deleted += o.deleted;
    counts.retained += o.retained ?? 0;
  }
  const action = LEAST_COMPLETE_FIRST.find((a) => counts[a] > 0);
  if (!action) return { outcome: 'none_held' };
  if (action === 'retained') return retainedOutcome(carrying.filter((o) => (o.retained ?? 0) > 0), counts.retained);
  const reasons = [...new Set(notes[action])];
  return { outcome: action, count: counts[action], ...(reasons.length > 0 ? { reason: reasons.join(' ') } : {}) };
}

/** How a dataset's shared rows count for one item: as anonymized or as kept. */
function sharedAs(itemId: string, o: ErasureOutcome): [ErasureResult, number][] {
  // An external feature that names no identity items is taken at its word.
  if (!o.identityItems) return [['anonymized', o.anonymized], ['kept', o.kept]];
  return o.identityItems.includes(itemId) ? [['anonymized', o.anonymized + o.kept]] : [['kept', o.anonymized + o.kept]];
}

function retainedOutcome(retaining: ErasureOutcome[], count: number): Outcome {
  const reasons = [...new Set(retaining.flatMap((o) => (o.retentionReason ? [o.retentionReason] : [])))];
  // ISO dates compare as strings; the latest is when the last of the item's rows goes.
  const until = retaining.flatMap((o) => (o.retainedUntil ? [o.retainedUntil] : [])).sort().at(-1);
  const restricted = retaining.every((o) => o.restricted === true);
  return {
    outcome: 'retained',
    count,
    reason: reasons.length > 0 ? reasons.join('; ') : 'kept for a legal obligation',
    ...(until ? { until } : {}),
    ...(restricted ? { restricted } : {}),
  };
}

function sum(values: number[]): number {
  return values.reduce((total, n) => total + n, 0);
}
