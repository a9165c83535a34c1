import { index, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The email client's store: the mail accounts people added and the state of their mailbox folders.
 * There is no password column: the email password is only passed on to the mail server to sign in,
 * never kept.
 */
export const email = pgSchema('email');

export const accounts = email.table(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    emailAddress: text('email_address').notNull(),
    incomingServer: text('incoming_server').notNull(),
    outgoingServer: text('outgoing_server').notNull(),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('accounts_tenant_account_idx').on(t.tenantId, t.accountId)],
);

export const mailboxes = email.table(
  'mailboxes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    emailAccountId: uuid('email_account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    folder: text('folder').notNull(),
    messageCount: integer('message_count').notNull(),
    unreadCount: integer('unread_count').notNull(),
    lastSyncedAt: timestamp('last_synced_at', { withTimezone: true }),
  },
  (t) => [index('mailboxes_email_account_idx').on(t.emailAccountId)],
);
