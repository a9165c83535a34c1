import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { DatasetDescription } from '../features/adapter.js';
import { tenants } from '../tenants/tables.js';
import { REQUEST_STATUSES, REQUEST_TYPES, TASK_STATUSES } from './lifecycle.js';

/**
 * Requests, their per-feature tasks and the parts of their results (their audit trail: src/audit). Postgres holds the truth about every
 * request; queue jobs carry only these ids.
 */

export const requests = pgTable(
  'requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    type: text('type', { enum: REQUEST_TYPES }).notNull(),
    status: text('status', { enum: REQUEST_STATUSES }).notNull(),
    subjectAccountId: text('subject_account_id').notNull(),
    /** How the requester identified the subject (accountId, email or mobile), before resolution. */
    subjectIdentifiedBy: text('subject_identified_by', { enum: ['accountId', 'email', 'mobile'] })
      .notNull()
      .default('accountId'),
    features: text('features').array().notNull(),
    catalogueVersion: text('catalogue_version').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /** Where the result file lives in the results store, once assembled. */
    resultKey: text('result_key'),
    resultMediaType: text('result_media_type'),
    resultSize: integer('result_size'),
    resultSha256: text('result_sha256'),
    error: text('error'),
  },
  (t) => [
    index('requests_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
    index('requests_tenant_subject_idx').on(t.tenantId, t.subjectAccountId),
    index('requests_open_status_idx')
      .on(t.status)
      .where(sql`status in ('received', 'queued', 'processing', 'action_required')`),
  ],
);

export const tasks = pgTable(
  'tasks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    requestId: uuid('request_id')
      .notNull()
      .references(() => requests.id, { onDelete: 'cascade' }),
    feature: text('feature').notNull(),
    status: text('status', { enum: TASK_STATUSES }).notNull(),
    /** Rows found (access/export) or erased (deletion), per dataset. */
    counts: jsonb('counts').$type<Record<string, number>>().notNull().default({}),
    /** Deletion outcome per dataset (deleted / anonymized / kept); null for access and export. */
    outcome: jsonb('outcome').$type<unknown>(),
    /** Where the collected rows of this task sit in the results store (NDJSON), for the assembler. */
    partialKey: text('partial_key'),
    /** The datasets the adapter described when it ran: results are laid out from these. */
    datasets: jsonb('datasets').$type<DatasetDescription[]>(),
    /** How the task was answered: built_in, http or manual. */
    adapter: text('adapter', { enum: ['built_in', 'http', 'manual'] }),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('tasks_request_feature_idx').on(t.requestId, t.feature)],
);

/**
 * The files of a result split into parts, numbered from 1. A result without rows here is one
 * file, part 1, described on the request itself.
 */
export const resultParts = pgTable(
  'result_parts',
  {
    requestId: uuid('request_id')
      .notNull()
      .references(() => requests.id, { onDelete: 'cascade' }),
    part: integer('part').notNull(),
    key: text('key').notNull(),
    fileName: text('file_name').notNull(),
    mediaType: text('media_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.part] })],
);

export type RequestRow = typeof requests.$inferSelect;
export type TaskRow = typeof tasks.$inferSelect;
export type ResultPartRow = typeof resultParts.$inferSelect;
