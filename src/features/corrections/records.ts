import type postgres from 'postgres';
import { Type } from 'typebox';
import Value from 'typebox/value';
import type { CorrectionResult } from '../adapter.js';

/**
 * The correction records of tables.ts: a correction writes them in the transaction that changes the
 * store, so either both the new values and what they replaced are there or neither is.
 */

type Queryable = postgres.Sql | postgres.TransactionSql;

const RecordRow = Type.Object({
  change_id: Type.String(),
  outcome: Type.Union([Type.Literal('corrected'), Type.Literal('refused')]),
  old_value: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
});

/** What earlier runs of the request made of these changes, by change id. */
export async function recordedCorrections(sql: Queryable, changeIds: readonly string[]): Promise<Map<string, CorrectionResult>> {
  const rows = await sql`select change_id, outcome, old_value, reason from corrections.records where change_id = any(${changeIds as string[]})`;
  const recorded = new Map<string, CorrectionResult>();
  for (const row of rows) {
    // Read back from storage, so checked: a record that is not one must not become a decision.
    if (!Value.Check(RecordRow, row)) throw new Error('a correction record is malformed');
    const { change_id: id, outcome, old_value: oldValue, reason } = row;
    recorded.set(id, outcome === 'corrected' ? { id, outcome, oldValue } : { id, outcome, reason: reason ?? '' });
  }
  return recorded;
}

/** Inside the transaction that made the changes, after it did. */
export async function recordCorrections(tx: postgres.TransactionSql, requestId: string, results: readonly CorrectionResult[]): Promise<void> {
  if (results.length === 0) return;
  const rows = results.map((r) => ({
    change_id: r.id,
    request_id: requestId,
    outcome: r.outcome,
    old_value: r.outcome === 'corrected' ? r.oldValue : null,
    reason: r.outcome === 'refused' ? r.reason : null,
  }));
  await tx`insert into corrections.records ${tx(rows)}`;
}

/** Once the request is closed its changes hold the outcomes: the records (old values among them) go. */
export async function forgetCorrections(sql: postgres.Sql, requestId: string): Promise<void> {
  await sql`delete from corrections.records where request_id = ${requestId}`;
}
