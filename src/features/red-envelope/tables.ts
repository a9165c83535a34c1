import { sql } from 'drizzle-orm';
import { check, date, index, integer, numeric, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * The red envelope store: the Alipay accounts people bound, envelopes sent, who claimed what, and
 * the payment records, which financial law makes the enterprise keep for years (see the adapter).
 */
export const redEnvelope = pgSchema('red_envelope');

export const alipayAccounts = redEnvelope.table(
  'alipay_accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    /** The account holder's name as Alipay verified it. */
    name: text('name').notNull(),
    alipayAccount: text('alipay_account').notNull(),
    boundAt: timestamp('bound_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('alipay_accounts_tenant_account_idx').on(t.tenantId, t.accountId)],
);

export const envelopes = redEnvelope.table(
  'envelopes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    /** Null once the sender was erased; an envelope others claimed stays for them. */
    senderAccountId: text('sender_account_id'),
    kind: text('kind', { enum: ['lucky', 'fixed'] }).notNull(),
    totalAmount: numeric('total_amount', { precision: 12, scale: 2 }).notNull(),
    shares: integer('shares').notNull(),
    greeting: text('greeting'),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('envelopes_tenant_sender_idx').on(t.tenantId, t.senderAccountId),
    check('envelopes_kind_check', sql`${t.kind} in ('lucky', 'fixed')`),
  ],
);

export const claims = redEnvelope.table(
  'claims',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    envelopeId: uuid('envelope_id')
      .notNull()
      .references(() => envelopes.id, { onDelete: 'cascade' }),
    accountId: text('account_id').notNull(),
    amount: numeric('amount', { precision: 12, scale: 2 }).notNull(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('claims_envelope_account_idx').on(t.envelopeId, t.accountId), index('claims_tenant_account_idx').on(t.tenantId, t.accountId)],
);

/** Money moved through Alipay: paying for an envelope, receiving a share, a refund of what nobody claimed. */
export const payments = redEnvelope.table(
  'payments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    /** A payment outlives its envelope: the record must be kept even when the envelope is erased. */
    envelopeId: uuid('envelope_id').references(() => envelopes.id, { onDelete: 'set null' }),
    kind: text('kind', { enum: ['send', 'receive', 'refund'] }).notNull(),
    amount: numeric('amount', { precision: 12, scale: 2 }).notNull(),
    currency: text('currency').notNull(),
    alipayAccount: text('alipay_account').notNull(),
    tradeNo: text('trade_no').notNull(),
    paidAt: timestamp('paid_at', { withTimezone: true }).notNull(),
    /** Set by an erasure on a row the law makes the feature keep: from then on it serves only that obligation, until this date (retention.ts). */
    restrictedUntil: date('restricted_until', { mode: 'string' }),
  },
  (t) => [
    index('payments_tenant_account_idx').on(t.tenantId, t.accountId, t.paidAt),
    // The retention purge goes by tenant and age.
    index('payments_tenant_paid_idx').on(t.tenantId, t.paidAt),
    uniqueIndex('payments_trade_no_idx').on(t.tradeNo),
    check('payments_kind_check', sql`${t.kind} in ('send', 'receive', 'refund')`),
  ],
);
