import { sql } from 'drizzle-orm';
import { check, index, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** The instant translation store: each text a user had translated, and the result. */
export const translation = pgSchema('translation');

export const jobs = translation.table(
  'jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    /** Where the text came from. */
    context: text('context', { enum: ['chat', 'email', 'document', 'meeting'] }).notNull(),
    sourceLanguage: text('source_language').notNull(),
    targetLanguage: text('target_language').notNull(),
    sourceText: text('source_text').notNull(),
    resultText: text('result_text'),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('jobs_tenant_account_idx').on(t.tenantId, t.accountId),
    check('jobs_context_check', sql`${t.context} in ('chat', 'email', 'document', 'meeting')`),
  ],
);
