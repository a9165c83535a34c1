import type postgres from 'postgres';
import type { ErasureOutcome } from '../adapter.js';
import { readErasure } from '../../results/task-outcome.js';

/**
 * The erasure runs of tables.ts: a large subject is erased a batch per transaction, each batch
 * committing its rows with the counts so far, so that a run killed part way goes on where it stopped.
 */

type Queryable = postgres.Sql | postgres.TransactionSql;

export interface ErasureRun {
  id: number;
  /** Per dataset, what the committed batches erased. */
  outcome: ErasureOutcome[];
  /** The datasets planned a row per group (tables.ts). */
  byGroup: string[];
}

/** What one batch did to one dataset's rows. */
export interface BatchCounts {
  deleted: number;
  anonymized: number;
  kept: number;
}

/** The run of `key` (the request) that planned and has not finished, if any; `lock` while a batch adds to it. */
export async function startedRun(sql: Queryable, key: string, feature: string, lock = false): Promise<ErasureRun | undefined> {
  const [row] = await sql.unsafe(
    `select id, outcome, by_group from erasures.runs where request_id = $1 and feature = $2${lock ? ' for update' : ''}`,
    [key, feature],
  );
  if (!row) return undefined;
  const outcome = readErasure(row.outcome);
  // Read back from storage, so checked: the counts go on into the receipt.
  if (!outcome) throw new Error(`the erasure run of ${feature} is malformed`);
  const byGroup: unknown = row.by_group;
  if (!Array.isArray(byGroup) || !byGroup.every((d) => typeof d === 'string')) throw new Error(`the erasure run of ${feature} is malformed`);
  return { id: Number(row.id), outcome, byGroup };
}

/** Whether an erasure of another request is under way in this feature for this tenant. */
export async function otherRunUnderway(sql: Queryable, key: string, feature: string, tenantId: string): Promise<boolean> {
  const [row] = await sql`
    select exists (select 1 from erasures.runs where feature = ${feature} and tenant_id = ${tenantId} and request_id <> ${key}) as underway`;
  return Boolean(row?.underway);
}

/** Inside the transaction that plans the rows; they name the run by the id this returns. */
export async function createRun(sql: Queryable, key: string, feature: string, tenantId: string, byGroup: string[]): Promise<number> {
  const [row] = await sql`
    insert into erasures.runs (request_id, feature, tenant_id, outcome, by_group)
    values (${key}, ${feature}, ${tenantId}, '[]'::jsonb, ${byGroup}::text[]) returning id`;
  return Number(row!.id);
}

/** Once the rows are planned: each dataset's outcome with nothing erased yet. */
export async function setOutcome(sql: Queryable, run: number, outcome: ErasureOutcome[]): Promise<void> {
  await sql`update erasures.runs set outcome = ${JSON.stringify(outcome)}::jsonb where id = ${run}`;
}

/**
 * Inside each batch's transaction, with the rows it erased. The run's row is read locked and added
 * to, so that two workers on one request (a job run twice) count each row once.
 */
export async function addToRun(sql: Queryable, key: string, feature: string, dataset: string, counts: BatchCounts): Promise<void> {
  const run = await startedRun(sql, key, feature, true);
  const outcome = run?.outcome.find((o) => o.dataset === dataset);
  if (!run || !outcome) throw new Error(`the erasure run of ${feature} has no ${dataset}`);
  outcome.deleted += counts.deleted;
  outcome.anonymized += counts.anonymized;
  outcome.kept += counts.kept;
  await setOutcome(sql, run.id, run.outcome);
}

/** Inside the transaction that records the erasure: every planned row was erased by then. */
export async function endRun(sql: Queryable, run: ErasureRun): Promise<void> {
  await sql`delete from erasures.planned_rows where run = ${run.id}`;
  await sql`delete from erasures.runs where id = ${run.id}`;
}

/** A run nobody will take up again (an erasure outside a request that failed): it must not hold back the tenant's next one. */
export async function forgetRun(sql: Queryable, key: string, feature: string): Promise<void> {
  await sql`delete from erasures.planned_rows where run in (select id from erasures.runs where request_id = ${key} and feature = ${feature})`;
  await sql`delete from erasures.runs where request_id = ${key} and feature = ${feature}`;
}
