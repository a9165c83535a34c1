import { index, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * What a correction did to each change, written in the transaction that made it, in the feature's own
 * database: once it has committed, the store holds the new value and only this record knows the old
 * one. A task killed before the request recorded the outcome, and run again, reports this record
 * instead of reading its own new value back as the old (records.ts).
 */
export const correctionStore = pgSchema('corrections');

export const correctionRecords = correctionStore.table(
  'records',
  {
    /** The requested change (requested_changes.id of the main database). */
    changeId: text('change_id').primaryKey(),
    requestId: text('request_id').notNull(),
    outcome: text('outcome', { enum: ['corrected', 'refused'] }).notNull(),
    /** What the store held before: personal data, kept only until the request closes. */
    oldValue: text('old_value'),
    /** Why the change was refused, in words the subject reads. */
    reason: text('reason'),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('correction_records_request_idx').on(t.requestId)],
);
