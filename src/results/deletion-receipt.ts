import type { DataItem } from '../catalogue/schema.js';
import type { RequestRow, RequestStatus, TaskStatus } from '../db/schema.js';
import type { ErasureOutcome } from '../features/adapter.js';
import type { FeatureSection } from './report-model.js';

/**
 * The receipt of a deletion request: what was deleted, anonymized or kept per dataset, and what
 * that means for each catalogue item of each feature. It holds counts and catalogue words only,
 * no personal data beyond the account id, and its size depends on the catalogue, not on the subject.
 */

/**
 * Per item: 'deleted' / 'anonymized' / 'kept' from the datasets carrying it, 'not_stored' when the
 * catalogue says no store holds it, 'none_held' when stored but nothing was found, 'not_automated'
 * for features without an adapter, 'failed' when the task failed, 'cancelled' when it was cancelled.
 */
export type ItemOutcome =
  | 'deleted'
  | 'anonymized'
  | 'kept'
  | 'not_stored'
  | 'none_held'
  | 'not_automated'
  | 'failed'
  | 'cancelled';

export interface ReceiptDataset {
  dataset: string;
  title: string;
  deleted: number;
  anonymized: number;
  kept: number;
  items: string[];
  note: string | null;
}

export interface ReceiptFeature {
  id: string;
  name: string;
  status: TaskStatus;
  error?: string;
  datasets: ReceiptDataset[];
  items: { id: string; label: string; outcome: ItemOutcome }[];
}

export interface DeletionReceipt {
  requestId: string;
  type: 'deletion';
  accountId: string;
  tenantId: string;
  catalogueVersion: string;
  createdAt: string;
  completedAt: string;
  status: RequestStatus;
  features: ReceiptFeature[];
}

export interface ReceiptInput {
  request: RequestRow;
  catalogueVersion: string;
  sections: FeatureSection[];
  now: Date;
}

export function buildDeletionReceipt(input: ReceiptInput): DeletionReceipt {
  const features = input.sections.map(receiptFeature);
  return {
    requestId: input.request.id,
    type: 'deletion',
    accountId: input.request.subjectAccountId,
    tenantId: input.request.tenantId,
    catalogueVersion: input.catalogueVersion,
    createdAt: input.request.createdAt.toISOString(),
    completedAt: (input.request.completedAt ?? input.now).toISOString(),
    status: overallStatus(features.map((f) => f.status)),
    features,
  };
}

function receiptFeature(section: FeatureSection): ReceiptFeature {
  let { status, error } = section;
  let outcomes: ErasureOutcome[] = [];
  if (status === 'completed') {
    const parsed = parseOutcomes(section.task.outcome);
    // Without its outcome nothing can be confirmed, so the receipt must not claim the erasure.
    if (parsed) outcomes = parsed;
    else [status, error] = ['failed', 'the outcome of the erasure could not be read'];
  }
  const titles = new Map(section.descriptions.map((d) => [d.name, d.title]));
  return {
    id: section.id,
    name: section.feature?.name ?? section.id,
    status,
    ...(error ? { error } : {}),
    datasets: outcomes.map((o) => ({
      dataset: o.dataset,
      title: titles.get(o.dataset) ?? o.dataset,
      deleted: o.deleted,
      anonymized: o.anonymized,
      kept: o.kept,
      items: o.items,
      note: o.note ?? null,
    })),
    items: (section.feature?.items ?? []).map((item) => ({
      id: item.id,
      label: item.label,
      outcome: itemOutcome(item, status, outcomes),
    })),
  };
}

/**
 * What happened to one item. A not-stored item is 'not_stored' whatever the task did (no store
 * holds it, so there was nothing to erase). Where several datasets carry an item, the least
 * complete erasure wins (kept, then anonymized, then deleted): the receipt must never overstate.
 */
export function itemOutcome(item: DataItem, status: TaskStatus, outcomes: ErasureOutcome[]): ItemOutcome {
  if (item.processing !== 'stored') return 'not_stored';
  if (status === 'not_automated') return 'not_automated';
  if (status === 'cancelled') return 'cancelled';
  if (status !== 'completed') return 'failed';
  const carrying = outcomes.filter((o) => o.items.includes(item.id));
  if (carrying.some((o) => o.kept > 0)) return 'kept';
  if (carrying.some((o) => o.anonymized > 0)) return 'anonymized';
  if (carrying.some((o) => o.deleted > 0)) return 'deleted';
  return 'none_held';
}

/**
 * The request as a whole: completed when every feature was erased; partially completed when some
 * were, or were handed over for manual handling (not automated); failed when none got that far.
 */
export function overallStatus(statuses: TaskStatus[]): RequestStatus {
  if (statuses.every((s) => s === 'completed')) return 'completed';
  if (statuses.length > 0 && statuses.every((s) => s === 'cancelled')) return 'cancelled';
  if (statuses.some((s) => s === 'completed' || s === 'not_automated')) return 'partially_completed';
  return 'failed';
}

/** The task's `outcome` column is untyped JSON; it is checked before the receipt relies on it. */
function parseOutcomes(value: unknown): ErasureOutcome[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.every(isOutcome) ? value : undefined;
}

function isOutcome(value: unknown): value is ErasureOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Record<string, unknown>;
  return (
    typeof o.dataset === 'string' &&
    [o.deleted, o.anonymized, o.kept].every((n) => typeof n === 'number' && Number.isFinite(n)) &&
    Array.isArray(o.items) &&
    o.items.every((i) => typeof i === 'string') &&
    (o.note === undefined || o.note === null || typeof o.note === 'string')
  );
}
