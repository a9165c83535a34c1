import { and, eq, inArray, isNotNull, lt, notExists, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { REQUEST_TYPES, type RequestStatus } from '../requests/lifecycle.js';
import { requests, tasks, type RequestRow } from '../requests/tables.js';
import { requestRecords, type RecordOutcome, type RequestRecordRow } from './tables.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * The records of requests (CCPA § 7101), and what is left of a request once its result is gone:
 *
 * - a request that ends (a transition that stamps completedAt: complete, completePartially, fail,
 *   cancel, reject) writes its record; one that ends again after a retry writes it over;
 * - a deletion's signed receipt is kept on its record, written with the result in one transaction;
 * - once a request's result is gone (expired or erased; for a cancelled or rejected one, which has
 *   none, once RESULT_TTL_DAYS have passed since it ended) the request row keeps no free text: the
 *   agent's verification note, rejection note, question to the subject, the subject's answer, the
 *   extension's reason, the notes of withheld items and of manual tasks (with the names of the files
 *   agents uploaded) are cleared. What stays is the account id, the type, the statuses and dates,
 *   the features, the regime, the codes of reasons, and the ids of keys;
 * - RECORD_RETENTION_MONTHS after a request ended, its record and the request itself (its row,
 *   tasks, result parts, downloads and links) are deleted; its audit trail keeps its own retention.
 */

export const OUTCOME_OF: Partial<Record<RequestStatus, RecordOutcome>> = {
  completed: 'complied',
  partially_completed: 'complied_in_part',
  rejected: 'denied',
  failed: 'failed',
  cancelled: 'withdrawn',
};

/** Statuses after which nothing more happens to a request but the scrub and the purge. */
const WITHOUT_RESULT: readonly RequestStatus[] = ['cancelled', 'rejected'];
const RESULT_GONE: readonly RequestStatus[] = ['expired', 'erased'];
const BATCH = 500;

export interface RecordFigures {
  type: (typeof REQUEST_TYPES)[number];
  received: number;
  compliedInWhole: number;
  compliedInPart: number;
  denied: number;
  failed: number;
  withdrawn: number;
  open: number;
  medianDaysToRespond: number | null;
  meanDaysToRespond: number | null;
}

export class RequestRecords {
  constructor(private readonly db: Db | Tx) {}

  /** Writes the record of a request that has just ended (the caller moved it). */
  async keep(row: RequestRow): Promise<void> {
    const outcome = OUTCOME_OF[row.status];
    if (!outcome || !row.completedAt) return;
    const values = {
      requestId: row.id,
      tenantId: row.tenantId,
      accountId: row.subjectAccountId,
      type: row.type,
      regime: row.regime,
      outcome,
      rejectionReason: row.rejectionReason,
      receivedAt: row.createdAt,
      dueAt: row.dueAt,
      endedAt: row.completedAt,
      receipt: null,
    };
    const { requestId: _, tenantId: __, ...again } = values;
    await this.db.insert(requestRecords).values(values).onConflictDoUpdate({ target: requestRecords.requestId, set: again });
  }

  /** The receipt the request was answered with, on its record. */
  async keepReceipt(requestId: string, receipt: unknown): Promise<void> {
    await this.db.update(requestRecords).set({ receipt }).where(eq(requestRecords.requestId, requestId));
  }

  async find(tenantId: string, requestId: string): Promise<RequestRecordRow | undefined> {
    const [row] = await this.db
      .select()
      .from(requestRecords)
      .where(and(eq(requestRecords.tenantId, tenantId), eq(requestRecords.requestId, requestId)));
    return row;
  }

  /**
   * Clears the free text of requests whose result is gone (see above), a batch at a time; returns how
   * many requests it cleared. `resultsBefore`: the end before which a result's retention is over.
   */
  async clearNotes(resultsBefore: Date): Promise<number> {
    const hasText = or(
      isNotNull(requests.verificationNote),
      isNotNull(requests.rejectionNote),
      isNotNull(requests.infoRequestNote),
      isNotNull(requests.subjectResponseNote),
      isNotNull(requests.extensionReason),
      sql`${requests.withheld} @? '$[*].note'`,
      sql`exists (select 1 from ${tasks} where ${tasks.requestId} = ${requests.id} and ${tasks.outcome} ? 'manual')`,
    );
    const gone = or(
      inArray(requests.status, [...RESULT_GONE]),
      and(inArray(requests.status, [...WITHOUT_RESULT]), lt(requests.completedAt, resultsBefore)),
    );
    let cleared = 0;
    for (;;) {
      const batch = await this.db.select({ id: requests.id }).from(requests).where(and(gone, hasText)).limit(BATCH);
      if (batch.length === 0) return cleared;
      const ids = batch.map((r) => r.id);
      await this.db.transaction(async (tx) => {
        await tx
          .update(requests)
          .set({
            verificationNote: null,
            rejectionNote: null,
            infoRequestNote: null,
            subjectResponseNote: null,
            extensionReason: null,
            withheld: sql`coalesce((select jsonb_agg(item - 'note') from jsonb_array_elements(${requests.withheld}) item), ${requests.withheld})`,
          })
          .where(inArray(requests.id, ids));
        await tx.update(tasks).set({ outcome: null }).where(and(inArray(tasks.requestId, ids), sql`${tasks.outcome} ? 'manual'`));
      });
      cleared += ids.length;
    }
  }

  /**
   * Deletes the records of requests that ended before `endedBefore`, with their requests (unless
   * one was retried meanwhile and runs again), a batch at a time; returns how many.
   */
  async purge(endedBefore: Date): Promise<number> {
    // A result kept longer than its record (RESULT_TTL_DAYS above the retention) goes first, by its expiry.
    const holdsResult = and(eq(requests.id, requestRecords.requestId), isNotNull(requests.resultKey));
    let purged = 0;
    for (;;) {
      const batch = await this.db
        .select({ id: requestRecords.requestId })
        .from(requestRecords)
        .where(and(lt(requestRecords.endedAt, endedBefore), notExists(this.db.select({ one: sql`1` }).from(requests).where(holdsResult))))
        .limit(BATCH);
      if (batch.length === 0) return purged;
      const ids = batch.map((r) => r.id);
      await this.db.transaction(async (tx) => {
        await tx.delete(requestRecords).where(inArray(requestRecords.requestId, ids));
        const ended = [...Object.keys(OUTCOME_OF), ...RESULT_GONE] as RequestStatus[];
        await tx.delete(requests).where(and(inArray(requests.id, ids), inArray(requests.status, ended)));
      });
      purged += ids.length;
    }
  }

  /**
   * The figures CCPA § 7102 asks for, per request type, of the requests the tenant received in the
   * year (UTC): how many were received, complied with in whole or in part, denied; and the median
   * and mean days to respond, over the requests answered (complied with or denied). Requests not
   * ended yet have no record and count as received and open; one retried counts as it ended last until it ends again.
   */
  async figures(tenantId: string, year: number): Promise<RecordFigures[]> {
    // The year's bounds, made by Postgres: the end of 9999 (the schema's last year) has no ISO string it reads.
    const from = sql`make_timestamptz(${year}, 1, 1, 0, 0, 0, 'UTC')`;
    const to = sql`(make_timestamptz(${year}, 1, 1, 0, 0, 0, 'UTC') + interval '1 year')`;
    const rows = await this.db.execute<Record<string, string | number | null>>(sql`
      with received as (
        select type, outcome, extract(epoch from ended_at - received_at) / 86400 as days
          from ${requestRecords}
         where tenant_id = ${tenantId} and received_at >= ${from} and received_at < ${to}
        union all
        select r.type, null, null
          from ${requests} r
         where r.tenant_id = ${tenantId} and r.created_at >= ${from} and r.created_at < ${to}
           and not exists (select 1 from ${requestRecords} k where k.request_id = r.id)
      )
      select type,
             count(*)::int as received,
             count(*) filter (where outcome = 'complied')::int as complied_in_whole,
             count(*) filter (where outcome = 'complied_in_part')::int as complied_in_part,
             count(*) filter (where outcome = 'denied')::int as denied,
             count(*) filter (where outcome = 'failed')::int as failed,
             count(*) filter (where outcome = 'withdrawn')::int as withdrawn,
             count(*) filter (where outcome is null)::int as open,
             percentile_cont(0.5) within group (order by days) filter (where outcome in ('complied', 'complied_in_part', 'denied')) as median,
             avg(days) filter (where outcome in ('complied', 'complied_in_part', 'denied')) as mean
        from received
       group by type`);
    const byType = new Map([...rows].map((r) => [r.type, r]));
    return REQUEST_TYPES.map((type) => {
      const r = byType.get(type);
      return {
        type,
        received: Number(r?.received ?? 0),
        compliedInWhole: Number(r?.complied_in_whole ?? 0),
        compliedInPart: Number(r?.complied_in_part ?? 0),
        denied: Number(r?.denied ?? 0),
        failed: Number(r?.failed ?? 0),
        withdrawn: Number(r?.withdrawn ?? 0),
        open: Number(r?.open ?? 0),
        medianDaysToRespond: days(r?.median),
        meanDaysToRespond: days(r?.mean),
      };
    });
  }
}

/** Days to two decimals (a quarter of an hour); null when nothing was answered. */
function days(value: string | number | null | undefined): number | null {
  return value === null || value === undefined ? null : Math.round(Number(value) * 100) / 100;
}
