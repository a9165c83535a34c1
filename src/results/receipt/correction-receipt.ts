import Type, { type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Catalogue } from '../../catalogue/schema.js';
import { REQUEST_STATUSES } from '../../requests/lifecycle.js';
import type { RequestedChangeRow, RequestRow, TaskRow } from '../../requests/tables.js';
import type { TenantNotice } from '../../notice/schemas.js';
import { ReceiptRecipient } from './deletion-receipt.js';
import { correctionRecipients } from './recipients.js';

/**
 * The receipt of a correction (GDPR Art. 16 and 19, CCPA § 7023, PIPL Art. 46): every change the
 * subject asked for, what the store held and holds now, or why it was refused or not made; and, per
 * feature that changed, the recipients who must be told (Art. 19). Unlike a deletion receipt it holds
 * the values, so it is personal data: it is erased with the subject's data when a later deletion
 * completes. Sealed by receipt-signing.ts like the deletion receipt.
 */

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const CHANGE_RESULTS = ['corrected', 'refused', 'not_made'] as const;

export const ReceiptChange = Type.Object(
  {
    feature: Type.String(),
    featureName: Type.String(),
    item: Type.String(),
    itemLabel: Type.String(),
    /** not_made: the feature's task failed or was never answered; the change may be asked again. */
    outcome: Type.Enum([...CHANGE_RESULTS]),
    /** corrected: what the store held before (null when the store held nothing, or its owner did not say). */
    from: NullableString,
    to: NullableString,
    /** refused and not_made: why, in words the subject reads. */
    reason: NullableString,
    /** How it was handled: by the feature's adapter, or by the feature's owner by hand. */
    handledBy: Type.Enum(['automatically', 'by_hand']),
  },
  { additionalProperties: false },
);
export type ReceiptChange = Static<typeof ReceiptChange>;

export const ReceiptRecipients = Type.Object(
  {
    feature: Type.String(),
    featureName: Type.String(),
    recipients: Type.Array(ReceiptRecipient),
  },
  { additionalProperties: false },
);

const bodyFields = {
  requestId: Type.String(),
  type: Type.Literal('correction'),
  accountId: Type.String(),
  tenantId: Type.String(),
  catalogueVersion: Type.String(),
  createdAt: Type.String(),
  status: Type.Enum(REQUEST_STATUSES),
  changes: Type.Array(ReceiptChange),
  /** Per feature with a change made: whom the data went to, who must be told of the correction (Art. 19). */
  recipients: Type.Array(ReceiptRecipients),
};

export const CorrectionReceiptBody = Type.Object(bodyFields, { additionalProperties: false });
export type CorrectionReceiptBody = Static<typeof CorrectionReceiptBody>;

export const CorrectionReceipt = Type.Object(
  {
    ...bodyFields,
    digest: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    signature: Type.Union([
      Type.Object({ algorithm: Type.Literal('Ed25519'), keyId: Type.String(), value: Type.String() }, { additionalProperties: false }),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);
export type CorrectionReceipt = Static<typeof CorrectionReceipt>;
const checkReceipt = Compile(CorrectionReceipt);

/** A correction receipt read back from storage, checked against its schema; undefined when it is not one. */
export function parseCorrectionReceipt(value: unknown): CorrectionReceipt | undefined {
  return checkReceipt.Check(value) ? value : undefined;
}

interface ReceiptInput {
  request: RequestRow;
  catalogue: Catalogue;
  tasks: TaskRow[];
  changes: RequestedChangeRow[];
  /** The tenant's notice the request recorded: its own recipients are told too. */
  notice: TenantNotice | undefined;
}

export function buildCorrectionReceipt(input: ReceiptInput): CorrectionReceiptBody {
  const { request, catalogue } = input;
  const changes = input.changes.map((c) => receiptChange(input, c));
  const changed = catalogue.features.filter((f) => changes.some((c) => c.feature === f.id && c.outcome === 'corrected'));
  return {
    requestId: request.id,
    type: 'correction',
    accountId: request.subjectAccountId,
    tenantId: request.tenantId,
    catalogueVersion: catalogue.version,
    createdAt: request.createdAt.toISOString(),
    // The worker decides the request's status from its tasks; the receipt repeats it.
    status: request.status,
    changes,
    recipients: changed.map((f) => ({ feature: f.id, featureName: f.name, recipients: correctionRecipients(f, input.notice) })),
  };
}

function receiptChange(input: ReceiptInput, change: RequestedChangeRow): ReceiptChange {
  const feature = input.catalogue.features.find((f) => f.id === change.feature);
  const task = input.tasks.find((t) => t.feature === change.feature);
  const base = {
    feature: change.feature,
    featureName: feature?.name ?? change.feature,
    item: change.item,
    itemLabel: feature?.items.find((i) => i.id === change.item)?.label ?? change.item,
    to: change.newValue,
    handledBy: task?.adapter === 'manual' ? ('by_hand' as const) : ('automatically' as const),
  };
  switch (change.outcome) {
    case 'corrected':
      return { ...base, outcome: 'corrected', from: change.oldValue, reason: null };
    case 'refused':
      return { ...base, outcome: 'refused', from: null, reason: change.reason };
    case 'pending':
      return { ...base, outcome: 'not_made', from: null, reason: notMadeReason(task) };
  }
}

function notMadeReason(task: TaskRow | undefined): string {
  if (task?.status === 'failed') return `The feature could not make the change (${task.error ?? 'it failed'}); your organization can try again`;
  return 'The change was not made before the request ended; ask your organization about it';
}
