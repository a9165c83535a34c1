import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** The Athena assistant's store: dialogs and what the user typed or said in them (voice as audio files). */
export const athena = pgSchema('athena');

export const dialogs = athena.table(
  'dialogs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    title: text('title'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('dialogs_tenant_account_idx').on(t.tenantId, t.accountId)],
);

export const inputs = athena.table(
  'inputs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    dialogId: uuid('dialog_id')
      .notNull()
      .references(() => dialogs.id),
    accountId: text('account_id').notNull(),
    kind: text('kind', { enum: ['text', 'voice'] }).notNull(),
    /** What was typed, or what speech recognition made of a voice input. */
    inputText: text('input_text'),
    voiceKey: text('voice_key'),
    voiceMediaType: text('voice_media_type'),
    voiceSize: bigint('voice_size', { mode: 'number' }),
    voiceSha256: text('voice_sha256'),
    voiceDurationMs: integer('voice_duration_ms'),
    answer: text('answer'),
    askedAt: timestamp('asked_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('inputs_tenant_account_idx').on(t.tenantId, t.accountId),
    index('inputs_dialog_idx').on(t.dialogId),
    uniqueIndex('inputs_voice_key_idx').on(t.voiceKey),
    check('inputs_kind_check', sql`${t.kind} in ('text', 'voice')`),
  ],
);

/** Blob keys of deleted rows whose bytes are still to be removed (deleted after the commit, retried next time). */
export const blobDeletions = athena.table('blob_deletions', {
  blobKey: text('blob_key').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
});
