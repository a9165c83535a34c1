import Type, { type Static } from 'typebox';
import { DeletionReceipt } from '../results/receipt/deletion-receipt.js';
import { DELIVERY_EXAMPLES } from '../delivery/schemas.js';
import { Regime, RejectionReason, RequestType } from '../requests/schemas.js';
import { RECORD_OUTCOMES } from './tables.js';

/** The record and figures API schemas, written once: validation, types and OpenAPI come from here. */

const DateTime = Type.String({ format: 'date-time' });

export const RequestRecordView = Type.Object(
  {
    requestId: Type.String({ format: 'uuid' }),
    accountId: Type.String(),
    type: RequestType,
    regime: Regime,
    outcome: Type.Enum([...RECORD_OUTCOMES], {
      description: 'complied (in whole), complied_in_part, denied (rejected), failed (not answered), withdrawn (cancelled)',
    }),
    rejectionReason: Type.Union([RejectionReason, Type.Null()]),
    receivedAt: DateTime,
    dueAt: DateTime,
    endedAt: DateTime,
    keptUntil: Type.String({ format: 'date-time', description: 'When the record is deleted (RECORD_RETENTION_MONTHS after the request ended)' }),
    receipt: Type.Union([DeletionReceipt, Type.Null()], { description: 'The signed receipt the request was answered with (deletion), as issued' }),
  },
  { additionalProperties: false },
);
export type RequestRecordView = Static<typeof RequestRecordView>;

export const MetricsQuery = Type.Object(
  { year: Type.Integer({ minimum: 2000, maximum: 9999, description: 'The calendar year (UTC) the requests were received in' }) },
  { additionalProperties: false },
);

const Days = Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);
const Count = Type.Integer({ minimum: 0 });

export const CcpaMetrics = Type.Object(
  {
    year: Type.Integer(),
    types: Type.Array(
      Type.Object(
        {
          type: RequestType,
          received: Count,
          compliedInWhole: Count,
          compliedInPart: Count,
          denied: Count,
          failed: Type.Integer({ minimum: 0, description: 'Ended without an answer (its tasks failed)' }),
          withdrawn: Type.Integer({ minimum: 0, description: 'Cancelled before it was answered' }),
          open: Type.Integer({ minimum: 0, description: 'Not ended yet' }),
          medianDaysToRespond: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
            description: 'Median days from receipt to the response, over the requests complied with or denied; null if none',
          }),
          meanDaysToRespond: Days,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CcpaMetrics = Static<typeof CcpaMetrics>;

export const RECORD_EXAMPLES = {
  record: {
    requestId: DELIVERY_EXAMPLES.receipt.requestId,
    accountId: 'carol',
    type: 'deletion',
    regime: 'gdpr',
    outcome: 'complied',
    rejectionReason: null,
    receivedAt: '2026-12-05T10:00:00.000Z',
    dueAt: '2027-01-05T10:00:00.000Z',
    endedAt: '2026-12-05T10:02:10.000Z',
    keptUntil: '2028-12-05T10:02:10.000Z',
    receipt: DELIVERY_EXAMPLES.receipt,
  },
  metrics: {
    year: 2026,
    types: [
      {
        type: 'access',
        received: 120,
        compliedInWhole: 112,
        compliedInPart: 4,
        denied: 2,
        failed: 0,
        withdrawn: 1,
        open: 1,
        medianDaysToRespond: 0.4,
        meanDaysToRespond: 2.1,
      },
    ],
  },
};
