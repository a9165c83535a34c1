import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * The audio and video meeting store: meetings, who took part (with the profile the meeting showed),
 * the in-meeting chat, recordings, live captions and what each client reported about its device and
 * network. Chat messages and recordings hold file bytes, so they do not cascade: the adapter deletes
 * them itself so their blobs go too.
 */
export const meetingStore = pgSchema('meetings');

export const meetings = meetingStore.table(
  'meetings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    /** Null once the host was erased; the meeting stays for the other participants. */
    hostAccountId: text('host_account_id'),
    topic: text('topic').notNull(),
    meetingType: text('meeting_type', { enum: ['instant', 'scheduled', 'webinar'] }).notNull(),
    /** The join link, or the room for meetings with a room system. */
    address: text('address').notNull(),
    notification: text('notification'),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('meetings_tenant_host_idx').on(t.tenantId, t.hostAccountId),
    check('meetings_type_check', sql`${t.meetingType} in ('instant', 'scheduled', 'webinar')`),
    check('meetings_time_check', sql`${t.endsAt} >= ${t.startsAt}`),
  ],
);

export const participants = meetingStore.table(
  'participants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    meetingId: uuid('meeting_id')
      .notNull()
      .references(() => meetings.id, { onDelete: 'cascade' }),
    accountId: text('account_id').notNull(),
    name: text('name').notNull(),
    mobile: text('mobile'),
    email: text('email'),
    department: text('department'),
    employeeId: text('employee_id'),
    joinedAt: timestamp('joined_at', { withTimezone: true }),
    leftAt: timestamp('left_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('participants_meeting_account_idx').on(t.meetingId, t.accountId),
    index('participants_tenant_account_idx').on(t.tenantId, t.accountId),
  ],
);

export const chatMessages = meetingStore.table(
  'chat_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    meetingId: uuid('meeting_id')
      .notNull()
      .references(() => meetings.id),
    /** Null once the sender's authorship was erased; the message stays for the other participants. */
    senderAccountId: text('sender_account_id'),
    kind: text('kind', { enum: ['text', 'image'] }).notNull(),
    body: text('body'),
    imageKey: text('image_key'),
    imageMediaType: text('image_media_type'),
    imageSize: bigint('image_size', { mode: 'number' }),
    imageSha256: text('image_sha256'),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('chat_messages_tenant_sender_idx').on(t.tenantId, t.senderAccountId),
    index('chat_messages_meeting_idx').on(t.meetingId),
    uniqueIndex('chat_messages_image_key_idx').on(t.imageKey),
    check('chat_messages_kind_check', sql`${t.kind} in ('text', 'image')`),
  ],
);

export const recordings = meetingStore.table(
  'recordings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    meetingId: uuid('meeting_id')
      .notNull()
      .references(() => meetings.id),
    /** Null once the person who recorded was erased; the recording stays for the other participants. */
    recordedByAccountId: text('recorded_by_account_id'),
    fileName: text('file_name').notNull(),
    mediaType: text('media_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    blobKey: text('blob_key').notNull(),
    durationMs: integer('duration_ms').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('recordings_meeting_idx').on(t.meetingId), uniqueIndex('recordings_blob_key_idx').on(t.blobKey)],
);

/** Live captions: what the meeting's speech recognition wrote down, line by line. */
export const captions = meetingStore.table(
  'captions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    meetingId: uuid('meeting_id')
      .notNull()
      .references(() => meetings.id, { onDelete: 'cascade' }),
    /** Null once the speaker was erased; the line stays for the other participants. */
    speakerAccountId: text('speaker_account_id'),
    text: text('text').notNull(),
    spokenAt: timestamp('spoken_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('captions_tenant_speaker_idx').on(t.tenantId, t.speakerAccountId), index('captions_meeting_idx').on(t.meetingId)],
);

/** What a client reported when it joined a meeting, for call quality and troubleshooting. */
export const clientReports = meetingStore.table(
  'client_reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    meetingId: uuid('meeting_id').references(() => meetings.id, { onDelete: 'cascade' }),
    accountId: text('account_id').notNull(),
    deviceId: text('device_id').notNull(),
    /** A hardware identifier: serial number, MAC address, BIOS id. */
    deviceIdentifier: text('device_identifier'),
    deviceName: text('device_name'),
    deviceModel: text('device_model'),
    os: text('os'),
    systemInfo: text('system_info'),
    runningProcesses: text('running_processes'),
    internetStatus: text('internet_status'),
    avDevices: text('av_devices'),
    networkType: text('network_type'),
    sourceIp: text('source_ip'),
    macAddress: text('mac_address'),
    networkStatus: text('network_status'),
    reportedAt: timestamp('reported_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('client_reports_tenant_account_idx').on(t.tenantId, t.accountId), index('client_reports_meeting_idx').on(t.meetingId)],
);

/** Blob keys of deleted rows whose bytes are still to be removed (deleted after the commit, retried next time). */
export const blobDeletions = meetingStore.table('blob_deletions', {
  blobKey: text('blob_key').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
});
