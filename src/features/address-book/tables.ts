import { sql } from 'drizzle-orm';
import { bigint, check, date, index, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** The enterprise address book: one directory entry per account, and the external contacts people keep. */
export const addressBook = pgSchema('address_book');

export const contacts = addressBook.table(
  'contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    name: text('name').notNull(),
    gender: text('gender', { enum: ['female', 'male', 'undisclosed'] }),
    birthday: date('birthday'),
    personalSignature: text('personal_signature'),
    mobile: text('mobile'),
    /** The address colleagues should write to: a team's shared mailbox for some. */
    email: text('email'),
    employeeId: text('employee_id'),
    position: text('position'),
    role: text('role'),
    department: text('department'),
    officeAddress: text('office_address'),
    remarks: text('remarks'),
    profileImageKey: text('profile_image_key'),
    profileImageMediaType: text('profile_image_media_type'),
    profileImageSize: bigint('profile_image_size', { mode: 'number' }),
    profileImageSha256: text('profile_image_sha256'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('contacts_tenant_account_idx').on(t.tenantId, t.accountId),
    uniqueIndex('contacts_profile_image_key_idx').on(t.profileImageKey),
    // Subject lookup by email or mobile (src/identity/resolve-subject.ts uses the same expressions).
    index('contacts_tenant_email_idx').on(t.tenantId, sql`lower(${t.email})`),
    index('contacts_tenant_mobile_idx').on(t.tenantId, sql`regexp_replace(${t.mobile}, '[[:space:]()-]', '', 'g')`),
    check('contacts_gender_check', sql`${t.gender} in ('female', 'male', 'undisclosed')`),
  ],
);

/** People outside the organization that one account keeps in its own list. */
export const externalContacts = addressBook.table(
  'external_contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    ownerAccountId: text('owner_account_id').notNull(),
    name: text('name').notNull(),
    company: text('company'),
    position: text('position'),
    mobile: text('mobile'),
    email: text('email'),
    remarks: text('remarks'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('external_contacts_tenant_owner_idx').on(t.tenantId, t.ownerAccountId)],
);

/** Blob keys of deleted rows whose bytes are still to be removed (deleted after the commit, retried next time). */
export const blobDeletions = addressBook.table('blob_deletions', {
  blobKey: text('blob_key').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
});
