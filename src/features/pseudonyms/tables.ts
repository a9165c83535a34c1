import { integer, pgSchema, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Pseudonyms of the other people in one request's result: "Participant <number>", numbered in the
 * order the features first meet them. Kept per request so that every feature of the result (each
 * its own job, possibly in parallel) calls the same person by the same name.
 */
export const pseudonymStore = pgSchema('pseudonyms');

export const participants = pseudonymStore.table(
  'participants',
  {
    requestId: text('request_id').notNull(),
    accountId: text('account_id').notNull(),
    /** 2, 3, ...: the subject is participant 1 and keeps their own name. */
    number: integer('number').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.accountId] }), uniqueIndex('participants_request_number_idx').on(t.requestId, t.number)],
);
