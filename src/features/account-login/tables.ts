import { sql } from 'drizzle-orm';
import { boolean, check, index, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** The login store: the accounts people sign in with, and third-party accounts linked to them. */
export const accountLogin = pgSchema('account_login');

export const accounts = accountLogin.table(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    mobile: text('mobile'),
    email: text('email'),
    /** A salted scrypt hash; null for accounts that sign in through SSO only. Never output. */
    passwordHash: text('password_hash'),
    /** What a result shows of the password: that one is held, never the hash. */
    passwordSet: boolean('password_set').generatedAlwaysAs(sql`password_hash is not null`),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('accounts_tenant_account_idx').on(t.tenantId, t.accountId),
    // Subject lookup by email or mobile (src/identity/resolve-subject.ts uses the same expressions).
    index('accounts_tenant_email_idx').on(t.tenantId, sql`lower(${t.email})`),
    index('accounts_tenant_mobile_idx').on(t.tenantId, sql`regexp_replace(${t.mobile}, '[[:space:]()-]', '', 'g')`),
  ],
);

export const thirdPartyAccounts = accountLogin.table(
  'third_party_accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    provider: text('provider', { enum: ['huawei_id'] }).notNull(),
    /** The account's id at the provider. */
    externalId: text('external_id').notNull(),
    linkedAt: timestamp('linked_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('third_party_accounts_tenant_account_idx').on(t.tenantId, t.accountId),
    check('third_party_accounts_provider_check', sql`${t.provider} in ('huawei_id')`),
  ],
);
