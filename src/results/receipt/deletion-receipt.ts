import type { RequestRow, RequestStatus, TaskStatus } from '../../db/schema.js';
import { accountItems, type ItemAccount } from '../item-accounting.js';
import { requestCompletedAt, type FeatureSection } from '../report-model.js';

/**
 * The receipt of a deletion request, a certificate of erasure: per feature, when it was handled and
 * what was deleted, anonymized, kept or retained per dataset, and what that means for each catalogue
 * item. It holds counts and catalogue words only, no personal data beyond the account id, and its
 * size depends on the catalogue, not on the subject. receipt-signing.ts seals this body.
 */

export interface ReceiptDataset {
  dataset: string;
  title: string;
  deleted: number;
  anonymized: number;
  kept: number;
  /** Kept for a legal obligation until `retainedUntil`, for `retentionReason`. */
  retained: number;
  retainedUntil: string | null;
  retentionReason: string | null;
  items: string[];
  note: string | null;
}

export interface ReceiptFeature {
  id: string;
  name: string;
  status: TaskStatus;
  error?: string;
  /** When the feature's task ended (ISO); null if it never ran. */
  finishedAt: string | null;
  datasets: ReceiptDataset[];
  /** Every catalogue item of the feature, once. */
  items: ItemAccount[];
}

export interface DeletionReceiptBody {
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

export interface ReceiptSignature {
  algorithm: 'Ed25519';
  /** First 16 hex digits of the SHA-256 of the public key (DER SubjectPublicKeyInfo). */
  keyId: string;
  /** Base64, over the 32 bytes of the digest. */
  value: string;
}

/** The body sealed by receipt-signing.ts. */
export interface DeletionReceipt extends DeletionReceiptBody {
  /** Hex SHA-256 of the canonical JSON of the body. */
  digest: string;
  /** Null when the service has no signing key: the digest then only catches accidental changes. */
  signature: ReceiptSignature | null;
}

export interface ReceiptInput {
  request: RequestRow;
  catalogueVersion: string;
  sections: FeatureSection[];
  now: Date;
}

export function buildDeletionReceipt(input: ReceiptInput): DeletionReceiptBody {
  return {
    requestId: input.request.id,
    type: 'deletion',
    accountId: input.request.subjectAccountId,
    tenantId: input.request.tenantId,
    catalogueVersion: input.catalogueVersion,
    createdAt: input.request.createdAt.toISOString(),
    completedAt: requestCompletedAt(input.request, input.now).toISOString(),
    // The worker decides the request's status from its tasks; the receipt repeats it, never recomputes it.
    status: input.request.status,
    features: input.sections.map(receiptFeature),
  };
}

function receiptFeature(section: FeatureSection): ReceiptFeature {
  const titles = new Map(section.descriptions.map((d) => [d.name, d.title]));
  return {
    id: section.id,
    name: section.feature?.name ?? section.id,
    status: section.status,
    ...(section.error ? { error: section.error } : {}),
    finishedAt: section.task.finishedAt?.toISOString() ?? null,
    datasets: section.erasure.map((o) => ({
      dataset: o.dataset,
      title: titles.get(o.dataset) ?? o.dataset,
      deleted: o.deleted,
      anonymized: o.anonymized,
      kept: o.kept,
      retained: o.retained ?? 0,
      retainedUntil: o.retainedUntil ?? null,
      retentionReason: o.retentionReason ?? null,
      items: o.items,
      note: o.note ?? null,
    })),
    items: accountItems(section, 'deletion'),
  };
}
