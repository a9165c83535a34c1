import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * The instant messaging store. Subject columns (account ids) are indexed with tenant_id,
 * since every DSAR query filters by tenant and account.
 * Foreign keys to rows that hold file bytes (messages, attachments) do not cascade: the adapter
 * deletes them itself so their blobs go too, and a missed case fails loudly instead of leaking bytes.
 */
export const im = pgSchema('im');

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const conversations = im.table(
  'conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    kind: text('kind', { enum: ['direct', 'group'] }).notNull(),
    title: text('title'),
    createdAt: createdAt(),
  },
  (t) => [
    index('conversations_tenant_idx').on(t.tenantId),
    check('conversations_kind_check', sql`${t.kind} in ('direct', 'group')`),
  ],
);

export const members = im.table(
  'members',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    accountId: text('account_id').notNull(),
    joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('members_conversation_account_idx').on(t.conversationId, t.accountId),
    index('members_tenant_account_idx').on(t.tenantId, t.accountId),
  ],
);

export const messages = im.table(
  'messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id),
    /** Null once the sender's authorship was erased; the message stays for the other members. */
    senderAccountId: text('sender_account_id'),
    kind: text('kind', { enum: ['text', 'image', 'file', 'voice'] }).notNull(),
    body: text('body'),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // A subject's messages in time order, as collect reads them: an index scan instead of a sort.
    index('messages_tenant_sender_sent_idx').on(t.tenantId, t.senderAccountId, t.sentAt, t.id),
    index('messages_conversation_sent_idx').on(t.conversationId, t.sentAt),
    check('messages_kind_check', sql`${t.kind} in ('text', 'image', 'file', 'voice')`),
  ],
);

export const attachments = im.table(
  'attachments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    messageId: uuid('message_id')
      .notNull()
      .references(() => messages.id),
    fileName: text('file_name').notNull(),
    mediaType: text('media_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    blobKey: text('blob_key').notNull(),
    /** Length of a voice message. */
    durationMs: integer('duration_ms'),
  },
  (t) => [index('attachments_message_idx').on(t.messageId), uniqueIndex('attachments_blob_key_idx').on(t.blobKey)],
);

export const devices = im.table(
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
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
  },
  (t) => [index('devices_tenant_account_idx').on(t.tenantId, t.accountId)],
);

/** Blob keys of deleted rows whose bytes are still to be removed (deleted after the commit, retried next time). */
export const blobDeletions = im.table('blob_deletions', {
  blobKey: text('blob_key').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
});
