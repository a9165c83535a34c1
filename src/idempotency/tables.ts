import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tables.js';

/**
 * The Idempotency-Key of each POST a caller made in the last 24 hours, with the answer it got
 * (idempotency-store.ts). The answer is what was sent to the caller already, kept as it was sent.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    /** Whose key: `api_key:<key id>` or `subject:<account id>`; two callers' keys never meet. */
    caller: text('caller').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of the method, path, query and body of the first call; null while an upload's bytes are still being read. */
    fingerprint: text('fingerprint'),
    /** The answer's status; null while the first call runs (the key is in use). */
    status: integer('status'),
    headers: jsonb('headers').$type<Record<string, string>>(),
    body: text('body'),
    /** Which call holds the key: a retry may take over a key whose call died, and the dead call's answer must not land then. */
    claim: uuid('claim').notNull().defaultRandom(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.caller, t.key] }), index('idempotency_keys_expiry_idx').on(t.expiresAt)],
);
