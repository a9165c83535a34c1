import { declarativeAdapter } from '../declarative.js';

/** No dataset carries the email password: it is only used to sign in to the mail server, never stored. */
export const emailAdapter = declarativeAdapter({
  feature: 'email',
  datasets: [
    {
      name: 'accounts',
      title: 'Mail accounts',
      table: 'email.accounts',
      where: 'accounts.account_id = :account',
      columns: {
        id: null,
        account_id: 'account-id',
        email_address: 'email-address',
        incoming_server: null,
        outgoing_server: null,
        added_at: null,
      },
      orderBy: 'added_at, id',
    },
    {
      name: 'mailboxes',
      title: 'Mailbox folders',
      table: 'email.mailboxes',
      where: `mailboxes.email_account_id in (select id from email.accounts where tenant_id = :tenant and account_id = :account)`,
      // The catalogue names no item for the state of a mailbox.
      columns: { email_account_id: null, folder: null, message_count: null, unread_count: null, last_synced_at: null },
      orderBy: 'email_account_id, folder',
    },
  ],
});
