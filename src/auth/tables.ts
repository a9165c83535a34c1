import { pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tables.js';
import { KEY_ROLES } from './principal.js';

/** A tenant's API keys, stored hashed (api-keys.ts). */

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    role: text('role', { enum: KEY_ROLES }).notNull().default('admin'),
    /** Public, non-secret start of the key, to tell keys apart in listings. */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key; the key itself is shown once and never stored. */
    hash: text('hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Recorded at most once a minute per key (api-keys.ts), so a busy key does not write on every call. */
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_keys_hash_idx').on(t.hash)],
);

