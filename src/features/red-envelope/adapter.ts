import { declarativeAdapter } from '../declarative.js';
import { PAYMENT_RECORDS } from '../retention.js';

// The catalogue names only account id, name and Alipay account: amounts, greetings and times carry none of its items.
export const redEnvelopeAdapter = declarativeAdapter({
  feature: 'red-envelope',
  datasets: [
    {
      name: 'alipay-account',
      title: 'Bound Alipay account',
      table: 'red_envelope.alipay_accounts',
      where: 'alipay_accounts.account_id = :account',
      columns: { account_id: 'account-id', name: 'name', alipay_account: 'alipay-account', bound_at: null },
    },
    {
      name: 'sent',
      title: 'Red envelopes you sent',
      table: 'red_envelope.envelopes',
      where: 'envelopes.sender_account_id = :account',
      columns: { id: null, sender_account_id: 'account-id', kind: null, total_amount: null, shares: null, greeting: null, sent_at: null },
      orderBy: 'sent_at, id',
      erase: {
        sharedWith: `select c.account_id from red_envelope.claims c where c.envelope_id = envelopes.id`,
        anonymize: ['sender_account_id'],
        note: 'Kept for the {others} who claimed a share, with you removed as the sender.',
      },
    },
    {
      name: 'received',
      title: 'Red envelope shares you claimed',
      table: 'red_envelope.claims',
      where: 'claims.account_id = :account',
      columns: { envelope_id: null, account_id: 'account-id', amount: null, claimed_at: null },
      orderBy: 'claimed_at, id',
    },
    {
      name: 'payments',
      title: 'Payment records',
      table: 'red_envelope.payments',
      where: 'payments.account_id = :account',
      columns: {
        account_id: 'account-id',
        envelope_id: null,
        kind: null,
        amount: null,
        currency: null,
        alipay_account: 'alipay-account',
        trade_no: null,
        paid_at: null,
      },
      orderBy: 'paid_at, id',
      retention: { ...PAYMENT_RECORDS, since: 'paid_at' },
    },
  ],
});
