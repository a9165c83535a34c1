import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tables.js';
import { REGIMES } from '../requests/deadlines.js';
import { REJECTION_REASONS, REQUEST_TYPES } from '../requests/lifecycle.js';

/** How a request was answered (CCPA § 7101): in whole, in part, denied, not answered (failed), or withdrawn by cancelling. */
export const RECORD_OUTCOMES = ['complied', 'complied_in_part', 'denied', 'failed', 'withdrawn'] as const;
export type RecordOutcome = (typeof RECORD_OUTCOMES)[number];

/**
 * The record of a request that ended: what was asked, when, how it was answered, and the receipt it
 * was answered with. No personal data beyond the account id. Kept RECORD_RETENTION_MONTHS after the
 * request ended, whatever happens to its result (which goes after RESULT_TTL_DAYS); no foreign key to
 * the request, as the audit trail's events have none: the record is the request's trace of its own.
 */
export const requestRecords = pgTable(
  'request_records',
  {
    requestId: uuid('request_id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    accountId: text('account_id').notNull(),
    type: text('type', { enum: REQUEST_TYPES }).notNull(),
    regime: text('regime', { enum: REGIMES }).notNull(),
    outcome: text('outcome', { enum: RECORD_OUTCOMES }).notNull(),
    /** Why a denied request was refused (the reason's code; the agent's note is not kept). */
    rejectionReason: text('rejection_reason', { enum: REJECTION_REASONS }),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }).notNull(),
    /** The signed receipt the request was answered with (deletion), as it was issued. */
    receipt: jsonb('receipt').$type<unknown>(),
  },
  (t) => [index('request_records_tenant_received_idx').on(t.tenantId, t.receivedAt), index('request_records_ended_idx').on(t.endedAt)],
);

export type RequestRecordRow = typeof requestRecords.$inferSelect;
