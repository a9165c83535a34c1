import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import type { RequestRow } from '../../requests/tables.js';
import { REQUEST_STATUSES, TASK_STATUSES } from '../../requests/lifecycle.js';
import { accountItems, ItemAccount } from '../item-accounting.js';
import type { FeatureSection } from '../report-model.js';
import { Rescan } from './rescan.js';
import { RecipientRole } from '../../catalogue/schema.js';
import type { TenantNotice } from '../../notice/schemas.js';
import { ERASURE_TELL, erasureRecipients } from '../../notice/subject-notice.js';

/**
 * The receipt of a deletion request, a certificate of erasure: per feature, when it was handled and
 * what was deleted, anonymized, kept or retained per dataset, and what that means for each catalogue
 * item. It holds counts and catalogue words only, no personal data beyond the account id, and its
 * size depends on the catalogue, not on the subject. receipt-signing.ts seals this body.
 */

const Count = Type.Integer({ minimum: 0 });
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const ReceiptDataset = Type.Object(
  {
    dataset: Type.String(),
    title: Type.String(),
    deleted: Count,
    anonymized: Count,
    kept: Count,
    /** Kept for a legal obligation until `retainedUntil`, for `retentionReason`. */
    retained: Count,
    retainedUntil: NullableString,
    retentionReason: NullableString,
    items: Type.Array(Type.String()),
    note: NullableString,
  },
  { additionalProperties: false },
);
export type ReceiptDataset = Static<typeof ReceiptDataset>;

export const ReceiptFeature = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    status: Type.Enum(TASK_STATUSES),
    error: Type.Optional(Type.String()),
    /** Only in receipts issued before results stated nothing but their request's time (report-model.ts resultTimeOf). */
    finishedAt: Type.Optional(NullableString),
    datasets: Type.Array(ReceiptDataset),
    /** Every catalogue item of the feature, once. */
    items: Type.Array(ItemAccount),
  },
  { additionalProperties: false },
);
export type ReceiptFeature = Static<typeof ReceiptFeature>;

/** Someone the subject's data of a feature went to, and what the controller must tell them (GDPR Art. 19). */
export const ReceiptRecipient = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    role: RecipientRole,
    source: Type.Enum(['statement', 'organization'], { description: "Named by the privacy statement, or by the organization's notice" }),
    /** Which ones the subject's data went to, as their rows named them (the applets they authorized). */
    named: Type.Optional(Type.Array(Type.String())),
    tell: Type.String(),
  },
  { additionalProperties: false },
);
export type ReceiptRecipient = Static<typeof ReceiptRecipient>;

export const ReceiptRecipients = Type.Object(
  { feature: Type.String(), name: Type.String(), recipients: Type.Array(ReceiptRecipient) },
  { additionalProperties: false },
);
export type ReceiptRecipients = Static<typeof ReceiptRecipients>;

const bodyFields = {
  requestId: Type.String(),
  type: Type.Literal('deletion'),
  accountId: Type.String(),
  tenantId: Type.String(),
  catalogueVersion: Type.String(),
  createdAt: Type.String(),
  /** Only in receipts issued before results stated nothing but their request's time: when the work ends is the request's record. */
  completedAt: Type.Optional(Type.String()),
  status: Type.Enum(REQUEST_STATUSES),
  features: Type.Array(ReceiptFeature),
  /** What a scan of every store found of the subject once the erasure ended; absent from receipts issued before it. */
  rescan: Type.Optional(Rescan),
  /** Per erased feature, every recipient to tell of the erasure; absent from receipts issued before it was listed. */
  recipients: Type.Optional(Type.Array(ReceiptRecipients)),
};

export const DeletionReceiptBody = Type.Object(bodyFields, { additionalProperties: false });
export type DeletionReceiptBody = Static<typeof DeletionReceiptBody>;

const ReceiptSignature = Type.Object(
  {
    algorithm: Type.Literal('Ed25519'),
    /** First 16 hex digits of the SHA-256 of the public key (DER SubjectPublicKeyInfo). */
    keyId: Type.String(),
    /** Base64, over the 32 bytes of the digest. */
    value: Type.String(),
  },
  { additionalProperties: false },
);

/** The body sealed by receipt-signing.ts: what is stored, and read back to be shown. */
export const DeletionReceipt = Type.Object(
  {
    ...bodyFields,
    /** Hex SHA-256 of the canonical JSON of the body. */
    digest: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    /** Null when the service has no signing key: the digest then only catches accidental changes. */
    signature: Type.Union([ReceiptSignature, Type.Null()]),
  },
  { additionalProperties: false },
);
export type DeletionReceipt = Static<typeof DeletionReceipt>;
const checkReceipt = Compile(DeletionReceipt);

/** A stored receipt is unreadable: not JSON, or not a receipt. */
export class ReceiptReadError extends Error {}

/** A deletion receipt read back from storage, checked against its schema (not its signature: verifyReceipt). */
export function parseDeletionReceipt(bytes: Buffer): DeletionReceipt {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ReceiptReadError('the stored deletion receipt is not JSON');
  }
  return readDeletionReceipt(value);
}

/** A deletion receipt kept as JSON (a request's record), checked against its schema. */
export function readDeletionReceipt(value: unknown): DeletionReceipt {
  if (!checkReceipt.Check(value)) {
    const [first] = checkReceipt.Errors(value);
    throw new ReceiptReadError(`the stored deletion receipt is malformed: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trim());
  }
  return value;
}

interface ReceiptInput {
  request: RequestRow;
  catalogueVersion: string;
  sections: FeatureSection[];
  rescan?: Rescan | undefined;
  /** The tenant's notice the request recorded: its own recipients are told too. */
  tenantNotice: TenantNotice | undefined;
}

export function buildDeletionReceipt(input: ReceiptInput): DeletionReceiptBody {
  return {
    requestId: input.request.id,
    type: 'deletion',
    accountId: input.request.subjectAccountId,
    tenantId: input.request.tenantId,
    catalogueVersion: input.catalogueVersion,
    createdAt: input.request.createdAt.toISOString(),
    // The worker decides the request's status from its tasks; the receipt repeats it, never recomputes it.
    status: input.request.status,
    features: input.sections.map(receiptFeature),
    ...(input.rescan ? { rescan: input.rescan } : {}),
    recipients: receiptRecipients(input.sections, input.tenantNotice),
  };
}

/** The features whose data was erased (completed tasks), each with the recipients to tell. */
export function receiptRecipients(sections: FeatureSection[], tenantNotice: TenantNotice | undefined): ReceiptRecipients[] {
  return sections.flatMap((section) => {
    if (section.status !== 'completed' || !section.feature) return [];
    const recipients = erasureRecipients(section.feature, tenantNotice, section.descriptions, section.erasure).map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      source: r.source,
      ...(r.named ? { named: r.named } : {}),
      tell: ERASURE_TELL[r.role],
    }));
    return [{ feature: section.id, name: section.feature.name, recipients }];
  });
}

function receiptFeature(section: FeatureSection): ReceiptFeature {
  const titles = new Map(section.descriptions.map((d) => [d.name, d.title]));
  return {
    id: section.id,
    name: section.feature?.name ?? section.id,
    status: section.status,
    ...(section.error ? { error: section.error } : {}),
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
