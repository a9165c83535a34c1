import { sql } from 'drizzle-orm';
import { check, date, index, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The security management store: the feature's copy of each user, their managed devices, and the
 * operation and login logs, which the law makes the enterprise keep for a while (see the adapter).
 */
export const security = pgSchema('security');

export const profiles = security.table(
  'profiles',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    name: text('name').notNull(),
    phoneNumber: text('phone_number'),
    email: text('email'),
    department: text('department'),
  },
  (t) => [index('profiles_tenant_account_idx').on(t.tenantId, t.accountId)],
);

export const devices = security.table(
  'devices',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    deviceId: text('device_id').notNull(),
    deviceName: text('device_name'),
    deviceModel: text('device_model'),
    os: text('os'),
    networkType: text('network_type'),
    macAddress: text('mac_address'),
    ipAddress: text('ip_address'),
    wifiSsid: text('wifi_ssid'),
    enrolledAt: timestamp('enrolled_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
  },
  (t) => [index('devices_tenant_account_idx').on(t.tenantId, t.accountId)],
);

export const operationLogs = security.table(
  'operation_logs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    operation: text('operation').notNull(),
    target: text('target'),
    result: text('result', { enum: ['success', 'denied', 'failed'] }).notNull(),
    deviceId: text('device_id'),
    ipAddress: text('ip_address'),
    /** Set by an erasure on a row the law makes the feature keep: from then on it serves only that obligation, until this date (retention.ts). */
    restrictedUntil: date('restricted_until', { mode: 'string' }),
  },
  (t) => [
    index('operation_logs_tenant_account_idx').on(t.tenantId, t.accountId, t.occurredAt),
    // The retention purge goes by tenant and age.
    index('operation_logs_tenant_occurred_idx').on(t.tenantId, t.occurredAt),
    check('operation_logs_result_check', sql`${t.result} in ('success', 'denied', 'failed')`),
  ],
);

export const loginLogs = security.table(
  'login_logs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    method: text('method', { enum: ['password', 'sms_code', 'sso', 'qr_code'] }).notNull(),
    result: text('result', { enum: ['success', 'wrong_password', 'wrong_code', 'locked'] }).notNull(),
    client: text('client'),
    deviceId: text('device_id'),
    ipAddress: text('ip_address'),
    /** Set by an erasure on a row the law makes the feature keep: from then on it serves only that obligation, until this date (retention.ts). */
    restrictedUntil: date('restricted_until', { mode: 'string' }),
  },
  (t) => [
    index('login_logs_tenant_account_idx').on(t.tenantId, t.accountId, t.occurredAt),
    index('login_logs_tenant_occurred_idx').on(t.tenantId, t.occurredAt),
    check('login_logs_method_check', sql`${t.method} in ('password', 'sms_code', 'sso', 'qr_code')`),
    check('login_logs_result_check', sql`${t.result} in ('success', 'wrong_password', 'wrong_code', 'locked')`),
  ],
);
