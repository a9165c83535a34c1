import { index, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * The in-application search store: the directory entry people are found by, and their recent
 * keywords. Only the latest keywords per person are stored (see the adapter's `keepLatest`).
 */
export const search = pgSchema('search');

export const people = search.table(
  'people',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    name: text('name').notNull(),
    email: text('email'),
    mobile: text('mobile'),
    department: text('department'),
  },
  (t) => [uniqueIndex('people_tenant_account_idx').on(t.tenantId, t.accountId)],
);

export const keywords = search.table(
  'keywords',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    keyword: text('keyword').notNull(),
    /** What was searched: messages, contacts, documents, ... */
    scope: text('scope').notNull(),
    searchedAt: timestamp('searched_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('keywords_tenant_account_idx').on(t.tenantId, t.accountId, t.searchedAt)],
);
