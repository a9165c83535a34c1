import { sql } from 'drizzle-orm';
import { bigint, check, index, numeric, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** The clock-in/out store: the feature's employee profiles and every clock-in or -out. */
export const clockIn = pgSchema('clock_in');

export const profiles = clockIn.table(
  'profiles',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    name: text('name').notNull(),
    department: text('department'),
    employeeId: text('employee_id'),
    workAddress: text('work_address'),
  },
  (t) => [uniqueIndex('profiles_tenant_account_idx').on(t.tenantId, t.accountId)],
);

export const records = clockIn.table(
  'records',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    clockedAt: timestamp('clocked_at', { withTimezone: true }).notNull(),
    direction: text('direction', { enum: ['in', 'out'] }).notNull(),
    method: text('method', { enum: ['location', 'machine', 'photo', 'face'] }).notNull(),
    latitude: numeric('latitude', { precision: 9, scale: 6 }),
    longitude: numeric('longitude', { precision: 9, scale: 6 }),
    deviceName: text('device_name'),
    deviceModel: text('device_model'),
    os: text('os'),
    /** The photo or face taken at clock-in, for the photo and face methods. */
    faceImageKey: text('face_image_key'),
    faceImageMediaType: text('face_image_media_type'),
    faceImageSha256: text('face_image_sha256'),
    faceImageSize: bigint('face_image_size', { mode: 'number' }),
  },
  (t) => [
    index('records_tenant_account_idx').on(t.tenantId, t.accountId, t.clockedAt),
    uniqueIndex('records_face_image_key_idx').on(t.faceImageKey),
    check('records_direction_check', sql`${t.direction} in ('in', 'out')`),
    check('records_method_check', sql`${t.method} in ('location', 'machine', 'photo', 'face')`),
  ],
);

/** Blob keys of deleted rows whose bytes are still to be removed (deleted after the commit, retried next time). */
export const blobDeletions = clockIn.table('blob_deletions', {
  blobKey: text('blob_key').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
});
