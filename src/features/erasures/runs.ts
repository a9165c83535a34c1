import type postgres from 'postgres';
import type { ErasureOutcome } from '../adapter.js';
import { readErasure } from '../../tasks/task-json.js';

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

/** The run of `key` (the request) that planned and has not finished, if any; `lock` while it is ended. */
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
 * `counted`, a CTE of the statement that erases a batch: adds the batch's counts (SQL expressions over
 * its other CTEs) to what the run ($4) has erased of the dataset ($3), in that statement, when it took
 * rows. The update locks the run's row, so that two workers on one request (a job run twice) count each
 * row once. It counts one run row; none when the run has no such dataset, which the batch must refuse.
 */
export function countInRun(taken: string, counts: { deleted: string; anonymized: string; kept: string }): string {
  const add = (field: keyof typeof counts) => `'${field}', (o->>'${field}')::bigint + ${counts[field]}`;
  return (
    `counted as (update erasures.runs set outcome = (select jsonb_agg(case when o->>'dataset' = $3 ` +
    `then o || jsonb_build_object(${add('deleted')}, ${add('anonymized')}, ${add('kept')}) else o end order by i) ` +
    `from jsonb_array_elements(outcome) with ordinality as e(o, i)) ` +
    `where id = $4::bigint and ${taken} > 0 and outcome @> jsonb_build_array(jsonb_build_object('dataset', $3::text)) returning 1)`
  );
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
