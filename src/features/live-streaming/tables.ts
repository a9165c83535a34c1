import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * The live streaming store: broadcasts, who watched them (with the profile the viewer list showed)
 * and their recordings. Recordings hold file bytes, so they do not cascade.
 */
export const liveStreaming = pgSchema('live_streaming');

export const broadcasts = liveStreaming.table(
  'broadcasts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    /** Publisher and speaker are null once erased; the broadcast stays for its viewers. */
    publisherAccountId: text('publisher_account_id'),
    speakerAccountId: text('speaker_account_id'),
    topic: text('topic').notNull(),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }),
    status: text('status', { enum: ['scheduled', 'live', 'ended', 'cancelled'] }).notNull(),
  },
  (t) => [
    index('broadcasts_tenant_publisher_idx').on(t.tenantId, t.publisherAccountId),
    index('broadcasts_tenant_speaker_idx').on(t.tenantId, t.speakerAccountId),
    check('broadcasts_status_check', sql`${t.status} in ('scheduled', 'live', 'ended', 'cancelled')`),
  ],
);

export const viewers = liveStreaming.table(
  'viewers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    broadcastId: uuid('broadcast_id')
      .notNull()
      .references(() => broadcasts.id, { onDelete: 'cascade' }),
    accountId: text('account_id').notNull(),
    name: text('name').notNull(),
    department: text('department'),
    joinedAt: timestamp('joined_at', { withTimezone: true }).notNull(),
    leftAt: timestamp('left_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('viewers_broadcast_account_idx').on(t.broadcastId, t.accountId),
    index('viewers_tenant_account_idx').on(t.tenantId, t.accountId),
  ],
);

export const recordings = liveStreaming.table(
  'recordings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    broadcastId: uuid('broadcast_id')
      .notNull()
      .references(() => broadcasts.id),
    fileName: text('file_name').notNull(),
    mediaType: text('media_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    blobKey: text('blob_key').notNull(),
    durationMs: integer('duration_ms').notNull(),
  },
  (t) => [index('recordings_broadcast_idx').on(t.broadcastId), uniqueIndex('recordings_blob_key_idx').on(t.blobKey)],
);

/** Blob keys of deleted rows whose bytes are still to be removed (deleted after the commit, retried next time). */
export const blobDeletions = liveStreaming.table('blob_deletions', {
  blobKey: text('blob_key').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
});
