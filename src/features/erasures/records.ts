import type postgres from 'postgres';
import type { ErasureOutcome } from '../adapter.js';
import { readErasure } from '../../tasks/task-json.js';

/**
 * The erasure records of tables.ts: an erasure writes its record in its own transaction, so either
 * both the data and what it was are gone or neither is, and a run after a crash finds the record.
 */

type Queryable = postgres.Sql | postgres.TransactionSql;

export interface ErasureRecord {
  outcome: ErasureOutcome[];
  erasedAt: Date;
}

/** What an earlier run of this request's erasure of `feature` erased and when, if one committed. */
export async function recordedErasure(sql: Queryable, requestId: string, feature: string): Promise<ErasureRecord | undefined> {
  const [row] = await sql`
    select outcome, to_char(erased_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as erased_at
    from erasures.records where request_id = ${requestId} and feature = ${feature}`;
  if (!row) return undefined;
  const outcome = readErasure(row.outcome);
  const erasedAt = new Date(String(row.erased_at));
  // Read back from storage, so checked: a record that is not one must not become a receipt.
  if (!outcome || Number.isNaN(erasedAt.getTime())) throw new Error(`the erasure record of ${feature} is malformed`);
  return { outcome, erasedAt };
}

/** Inside the transaction that erased the data, after it did. */
export async function recordErasure(tx: postgres.TransactionSql, requestId: string, feature: string, outcome: ErasureOutcome[]): Promise<void> {
  // The clock, not the transaction's start: that may be long before, when the erasure waited for its lock.
  await tx`
    insert into erasures.records (request_id, feature, outcome, erased_at)
    values (${requestId}, ${feature}, ${JSON.stringify(outcome)}::jsonb, clock_timestamp())`;
}

/**
 * Once the request is closed its tasks hold the outcomes: the records are not needed any more, nor
 * the runs a cancelled request left unfinished.
 */
export async function forgetErasures(sql: postgres.Sql, requestId: string): Promise<void> {
  await sql`delete from erasures.records where request_id = ${requestId}`;
  await sql`delete from erasures.planned_rows where run in (select id from erasures.runs where request_id = ${requestId})`;
  await sql`delete from erasures.runs where request_id = ${requestId}`;
}
