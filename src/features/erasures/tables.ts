import { bigint, boolean, index, jsonb, pgSchema, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

/**
 * What one feature erased for one request, written in the transaction that erased it, in the
 * feature's own database: the only place that knows, once that transaction has committed, what the
 * rows were. A task killed after the commit and run again finds its data gone; it reports this
 * record instead of "nothing erased" (records.ts).
 */
export const erasureStore = pgSchema('erasures');

export const erasureRecords = erasureStore.table(
  'records',
  {
    requestId: text('request_id').notNull(),
    feature: text('feature').notNull(),
    /** The adapter's ErasureOutcome per dataset: counts and catalogue words, no personal data. */
    outcome: jsonb('outcome').notNull(),
    /** The erasing transaction's time: when the data went, what the receipt says. */
    erasedAt: timestamp('erased_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.feature] })],
);

/**
 * An erasure under way, erased in batches (runs.ts): decided once, on the data as it was, then
 * applied a batch per transaction. A run killed part way and started again goes on from here.
 */
export const erasureRuns = erasureStore.table(
  'runs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    requestId: text('request_id').notNull(),
    feature: text('feature').notNull(),
    /** Another erasure of the tenant in this feature waits until this one ends: see declarative.ts. */
    tenantId: text('tenant_id').notNull(),
    /** The ErasureOutcome per dataset so far: what the batches committed with it erased. */
    outcome: jsonb('outcome').notNull(),
    /**
     * The datasets this run planned a row per group for (`erase.group`); the others, a row per row. Said
     * by the run, not the description, so that a run planned before a dataset was grouped goes on by row.
     */
    byGroup: text('by_group').array().notNull().default([]),
    plannedAt: timestamp('planned_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('runs_request_feature_key').on(t.requestId, t.feature), index('runs_feature_tenant_idx').on(t.feature, t.tenantId)],
);

/**
 * The rows of a run (erasure_runs.id) it decided to erase and has not erased yet: deleted, or
 * (shared) cleared of the subject. Batches take them in the order they lay in their table when
 * planned (`at`), so that a batch writes few pages, as a DELETE by an index in insertion order does.
 * A dataset erased by group (`erase.group` of its description) has a row here per group instead:
 * the group's value as `id`, its ordinal as `at`, until its rows are all erased.
 */
export const erasurePlannedRows = erasureStore.table(
  'planned_rows',
  {
    run: bigint('run', { mode: 'number' }).notNull(),
    dataset: text('dataset').notNull(),
    /** The row's place in its table when planned (its ctid's block and offset), or the group's ordinal: only an order, never how the row is found. */
    at: bigint('at', { mode: 'number' }).notNull(),
    id: uuid('id').notNull(),
    shared: boolean('shared').notNull(),
  },
  // No foreign key to runs: a check per row would cost the planning of a large subject about as much as its insert.
  (t) => [primaryKey({ columns: [t.run, t.dataset, t.at] })],
);
