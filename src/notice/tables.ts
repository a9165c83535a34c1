import { integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tables.js';

/**
 * What each tenant tells its subjects beyond the privacy statement (who the controller is, its
 * supervisory authority, its own recipients, transfers, retention criteria), one row per version.
 * Versions are only ever added: a request records the version in force when it was made
 * (requests.notice_version), and its result is built from that version however often it is built.
 */
export const tenantNotices = pgTable(
  'tenant_notices',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    /** The TenantNotice (schemas.ts) as the admin put it; validated again when read back. */
    notice: jsonb('notice').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.version] })],
);
