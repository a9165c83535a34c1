import { dataset, declarativeAdapter } from '../declarative.js';
import { tableName } from '../sql-text.js';
import { accounts, mailboxes } from './tables.js';

/** No dataset carries the email password: it is only used to sign in to the mail server, never stored. */
export const emailAdapter = declarativeAdapter({
  feature: 'email',
  datasets: [
    dataset({
      name: 'accounts',
      title: 'Mail accounts',
      table: accounts,
      where: 'accounts.account_id = :account',
      columns: {
        id: null,
        accountId: 'account-id',
        emailAddress: 'email-address',
        incomingServer: null,
        outgoingServer: null,
        addedAt: null,
      },
      orderBy: ['addedAt', 'id'],
    }),
    dataset({
      name: 'mailboxes',
      title: 'Mailbox folders',
      table: mailboxes,
      where: `mailboxes.email_account_id in (select id from ${tableName(accounts)} where tenant_id = :tenant and account_id = :account)`,
      // The catalogue names no item for the state of a mailbox.
      columns: { emailAccountId: null, folder: null, messageCount: null, unreadCount: null, lastSyncedAt: null },
      orderBy: ['emailAccountId', 'folder'],
    }),
  ],
});
