import { dataset, declarativeAdapter } from '../declarative.js';
import { tableName } from '../sql-text.js';
import { PAYMENT_RECORDS } from '../retention.js';
import { alipayAccounts, claims, envelopes, payments } from './tables.js';

// The catalogue names only account id, name and Alipay account: amounts, greetings and times carry none of its items.
export const redEnvelopeAdapter = declarativeAdapter({
  feature: 'red-envelope',
  datasets: [
    dataset({
      name: 'alipay-account',
      title: 'Bound Alipay account',
      table: alipayAccounts,
      where: 'alipay_accounts.account_id = :account',
      columns: { accountId: 'account-id', name: 'name', alipayAccount: 'alipay-account', boundAt: null },
      recipients: { recipient: 'alipay' },
    }),
    dataset({
      name: 'sent',
      title: 'Red envelopes you sent',
      table: envelopes,
      where: 'envelopes.sender_account_id = :account',
      columns: { id: null, senderAccountId: 'account-id', kind: null, totalAmount: null, shares: null, greeting: null, sentAt: null },
      orderBy: ['sentAt', 'id'],
      erase: {
        sharedWith: `select c.account_id from ${tableName(claims)} c where c.envelope_id = envelopes.id`,
        anonymize: ['senderAccountId'],
        note: 'Kept for the {others} who claimed a share, with you removed as the sender.',
      },
    }),
    dataset({
      name: 'received',
      title: 'Red envelope shares you claimed',
      table: claims,
      where: 'claims.account_id = :account',
      columns: { envelopeId: null, accountId: 'account-id', amount: null, claimedAt: null },
      orderBy: ['claimedAt', 'id'],
    }),
    dataset({
      name: 'payments',
      title: 'Payment records',
      table: payments,
      where: 'payments.account_id = :account',
      columns: {
        accountId: 'account-id',
        envelopeId: null,
        kind: null,
        amount: null,
        currency: null,
        alipayAccount: 'alipay-account',
        tradeNo: null,
        paidAt: null,
      },
      orderBy: ['paidAt', 'id'],
      retention: { ...PAYMENT_RECORDS, since: 'paidAt', restricted: 'restrictedUntil' },
      recipients: { recipient: 'alipay' },
    }),
  ],
});
