import { index, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The WeCode open platform's store: which applets a user let see their account id and name, and when
 * they used them. What an applet itself collects is in that applet's own store and privacy statement.
 */
export const wecode = pgSchema('wecode');

export const authorizations = wecode.table(
  'authorizations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    /** The name the applet was given. */
    name: text('name').notNull(),
    applet: text('applet').notNull(),
    scopes: text('scopes').notNull(),
    grantedAt: timestamp('granted_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('authorizations_tenant_account_idx').on(t.tenantId, t.accountId)],
);

export const usage = wecode.table(
  'usage',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    applet: text('applet').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    durationSeconds: integer('duration_seconds'),
  },
  (t) => [index('usage_tenant_account_idx').on(t.tenantId, t.accountId, t.openedAt)],
);
