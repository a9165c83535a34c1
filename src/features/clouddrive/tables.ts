import { sql } from 'drizzle-orm';
import { type AnyPgColumn, bigint, check, index, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * The clouddrive store: the feature's copy of user profiles, a folder tree, files and sharing.
 * Folders and files do not cascade on delete: the adapter removes them itself so file bytes go too,
 * and a folder still holding someone's file cannot disappear under it.
 */
export const clouddrive = pgSchema('clouddrive');

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const users = clouddrive.table(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    name: text('name').notNull(),
    department: text('department'),
    email: text('email'),
  },
  (t) => [uniqueIndex('users_tenant_account_idx').on(t.tenantId, t.accountId)],
);

export const folders = clouddrive.table(
  'folders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    /** Null once the owner was erased; the folder stays for the people it is shared with. */
    ownerAccountId: text('owner_account_id'),
    parentId: uuid('parent_id').references((): AnyPgColumn => folders.id),
    name: text('name').notNull(),
    ...timestamps,
  },
  (t) => [index('folders_tenant_owner_idx').on(t.tenantId, t.ownerAccountId), index('folders_parent_idx').on(t.parentId)],
);

export const files = clouddrive.table(
  'files',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    /** Null for a file at the top level of its owner's drive. */
    folderId: uuid('folder_id').references(() => folders.id),
    ownerAccountId: text('owner_account_id'),
    name: text('name').notNull(),
    mediaType: text('media_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    blobKey: text('blob_key').notNull(),
    ...timestamps,
  },
  (t) => [
    index('files_tenant_owner_idx').on(t.tenantId, t.ownerAccountId),
    index('files_folder_idx').on(t.folderId),
    uniqueIndex('files_blob_key_idx').on(t.blobKey),
  ],
);

export const permissions = clouddrive.table(
  'permissions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    fileId: uuid('file_id').references(() => files.id, { onDelete: 'cascade' }),
    folderId: uuid('folder_id').references(() => folders.id, { onDelete: 'cascade' }),
    accountId: text('account_id').notNull(),
    role: text('role', { enum: ['viewer', 'editor'] }).notNull(),
  },
  (t) => [
    index('permissions_tenant_account_idx').on(t.tenantId, t.accountId),
    index('permissions_file_idx').on(t.fileId),
    index('permissions_folder_idx').on(t.folderId),
    check('permissions_target_check', sql`num_nonnulls(${t.fileId}, ${t.folderId}) = 1`),
    check('permissions_role_check', sql`${t.role} in ('viewer', 'editor')`),
  ],
);

/** Blob keys of deleted rows whose bytes are still to be removed (deleted after the commit, retried next time). */
export const blobDeletions = clouddrive.table('blob_deletions', {
  blobKey: text('blob_key').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
});
