import { sql } from 'drizzle-orm';
import { check, date, index, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** The management console's store: its administrators and what they did (kept for a while, see the adapter). */
export const consoleStore = pgSchema('console');

export const administrators = consoleStore.table(
  'administrators',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    name: text('name').notNull(),
    email: text('email'),
    /** The HUAWEI CLOUD account the tenant's subscription is managed with. */
    huaweiCloudAccount: text('huawei_cloud_account'),
    role: text('role', { enum: ['owner', 'administrator', 'auditor'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('administrators_tenant_account_idx').on(t.tenantId, t.accountId),
    check('administrators_role_check', sql`${t.role} in ('owner', 'administrator', 'auditor')`),
  ],
);

export const operationLogs = consoleStore.table(
  'operation_logs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    operation: text('operation').notNull(),
    target: text('target'),
    result: text('result', { enum: ['success', 'failed'] }).notNull(),
    ipAddress: text('ip_address'),
    /** Set by an erasure on a row the law makes the feature keep: from then on it serves only that obligation, until this date (retention.ts). */
    restrictedUntil: date('restricted_until', { mode: 'string' }),
  },
  (t) => [
    index('operation_logs_tenant_account_idx').on(t.tenantId, t.accountId, t.occurredAt),
    // The retention purge goes by tenant and age.
    index('operation_logs_tenant_occurred_idx').on(t.tenantId, t.occurredAt),
    check('operation_logs_result_check', sql`${t.result} in ('success', 'failed')`),
  ],
);
