import { jsonb, pgSchema, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * What one feature erased for one request, written in the transaction that erased it, in the
 * feature's own database: the only place that knows, once that transaction has committed, what the
 * rows were. A task killed after the commit and run again finds its data gone; it reports this
 * record instead of "nothing erased" (records.ts).
 */
export const erasureStore = pgSchema('erasures');

export const erasureRecords = erasureStore.table(
  'records',
  {
    requestId: text('request_id').notNull(),
    feature: text('feature').notNull(),
    /** The adapter's ErasureOutcome per dataset: counts and catalogue words, no personal data. */
    outcome: jsonb('outcome').notNull(),
    /** The erasing transaction's time: when the data went, what the receipt says. */
    erasedAt: timestamp('erased_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.feature] })],
);
