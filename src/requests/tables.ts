import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { DatasetDescription } from '../features/adapter.js';
import type { WithheldItem } from './schemas.js';
import { tenants } from '../tenants/tables.js';
import { REGIMES } from './deadlines.js';
import { ACTOR_TYPES } from '../audit/tables.js';
import { CHANGE_OUTCOMES, OPEN_STATUSES, REJECTION_REASONS, REQUEST_STATUSES, REQUEST_TYPES, TASK_STATUSES, VERIFICATION_METHODS } from './lifecycle.js';

/**
 * Requests, their per-feature tasks and the parts of their results (their audit trail: src/audit). Postgres holds the truth about every
 * request; queue jobs carry only these ids.
 */

/** `status` is one of the open statuses, as literals: a partial index and its ON CONFLICT must say it alike. */
export const IS_OPEN = sql.raw(`status in (${OPEN_STATUSES.map((s) => `'${s}'`).join(', ')})`);

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
    /** Who made the request: the subject, or the key of an agent acting on their behalf. */
    requestedByType: text('requested_by_type', { enum: ACTOR_TYPES }).notNull().default('system'),
    requestedById: text('requested_by_id'),
    requestedByName: text('requested_by_name'),
    /** How the subject's identity was verified: their own token, or what the agent checked. */
    verificationMethod: text('verification_method', { enum: VERIFICATION_METHODS }),
    verificationNote: text('verification_note'),
    /** Why an agent refused the request, shown to the subject. */
    rejectionReason: text('rejection_reason', { enum: REJECTION_REASONS }),
    rejectionNote: text('rejection_note'),
    /** What an agent asked the subject (awaiting_subject), and the subject's answer. */
    infoRequestNote: text('info_request_note'),
    subjectResponseNote: text('subject_response_note'),
    catalogueVersion: text('catalogue_version').notNull(),
    /**
     * The tenant's notice in force when the request was made (notice/tables.ts), which its result
     * states; null when the tenant had none. Recorded, not read at assembly, so results are reproducible.
     */
    noticeVersion: integer('notice_version'),
    /** The law the request answers under (deadlines.ts). */
    regime: text('regime', { enum: REGIMES }).notNull().default('gdpr'),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    /** Set once: a deadline is extended at most once, with a reason. */
    extendedAt: timestamp('extended_at', { withTimezone: true }),
    extensionReason: text('extension_reason'),
    /** While the request waits for the subject, its deadline is paused (moved on by the pause when it resumes). */
    pausedAt: timestamp('paused_at', { withTimezone: true }),
    /** Decided at intake from the tenant's setting: the result waits in awaiting_release for an agent. */
    releaseReview: boolean('release_review').notNull().default(false),
    /** When an agent released the result, and what they withheld from it (with the reasons). */
    releasedAt: timestamp('released_at', { withTimezone: true }),
    withheld: jsonb('withheld').$type<WithheldItem[]>(),
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
    // One open request per subject and type: a second one while it is open is the same request.
    uniqueIndex('requests_open_per_subject_idx')
      .on(t.tenantId, t.subjectAccountId, t.type)
      .where(IS_OPEN),
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

/**
 * What a correction asked to change, one row per item, and what became of it. The values and the
 * subject's explanation are personal data: they live here only (never in a queue job, a log or the
 * audit trail), and are set to null when a later deletion of the subject completes (`erasedAt`).
 */
export const requestedChanges = pgTable(
  'requested_changes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    requestId: uuid('request_id')
      .notNull()
      .references(() => requests.id, { onDelete: 'cascade' }),
    /** The order the subject gave them in. */
    position: integer('position').notNull(),
    feature: text('feature').notNull(),
    /** The catalogue item (DataItem.id of the feature). */
    item: text('item').notNull(),
    newValue: text('new_value'),
    explanation: text('explanation'),
    outcome: text('outcome', { enum: CHANGE_OUTCOMES }).notNull().default('pending'),
    /** What the store held before the change, as the adapter read it or the feature's owner reported it. */
    oldValue: text('old_value'),
    /** Why a change was refused, in words the subject reads. */
    reason: text('reason'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    /** When the values were erased with the subject's data. */
    erasedAt: timestamp('erased_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('requested_changes_request_position_idx').on(t.requestId, t.position)],
);

export type RequestRow = typeof requests.$inferSelect;
export type RequestedChangeRow = typeof requestedChanges.$inferSelect;
export type TaskRow = typeof tasks.$inferSelect;
export type ResultPartRow = typeof resultParts.$inferSelect;
