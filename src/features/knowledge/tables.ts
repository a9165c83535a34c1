import { bigint, index, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** The knowledge community store: member profiles, posts, comments and likes. */
export const knowledge = pgSchema('knowledge');

export const profiles = knowledge.table(
  'profiles',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    accountId: text('account_id').notNull(),
    name: text('name').notNull(),
    nickname: text('nickname'),
    mobile: text('mobile'),
    employeeId: text('employee_id'),
    department: text('department'),
    remarks: text('remarks'),
    profileImageKey: text('profile_image_key'),
    profileImageMediaType: text('profile_image_media_type'),
    profileImageSize: bigint('profile_image_size', { mode: 'number' }),
    profileImageSha256: text('profile_image_sha256'),
  },
  (t) => [uniqueIndex('profiles_tenant_account_idx').on(t.tenantId, t.accountId), uniqueIndex('profiles_image_key_idx').on(t.profileImageKey)],
);

export const posts = knowledge.table(
  'posts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    /** Null once the author was erased; a post others commented on or liked stays for them. */
    authorAccountId: text('author_account_id'),
    title: text('title').notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('posts_tenant_author_idx').on(t.tenantId, t.authorAccountId)],
);

export const comments = knowledge.table(
  'comments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    postId: uuid('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    authorAccountId: text('author_account_id').notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('comments_tenant_author_idx').on(t.tenantId, t.authorAccountId), index('comments_post_idx').on(t.postId)],
);

export const likes = knowledge.table(
  'likes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    postId: uuid('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    accountId: text('account_id').notNull(),
    likedAt: timestamp('liked_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('likes_post_account_idx').on(t.postId, t.accountId), index('likes_tenant_account_idx').on(t.tenantId, t.accountId)],
);

/** Blob keys of deleted rows whose bytes are still to be removed (deleted after the commit, retried next time). */
export const blobDeletions = knowledge.table('blob_deletions', {
  blobKey: text('blob_key').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
});
