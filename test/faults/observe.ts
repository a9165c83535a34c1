import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type postgres from 'postgres';
import type { Redis } from 'ioredis';
import { TERMINAL_STATUSES } from '../../src/requests/lifecycle.js';
import { assemblyJobId, featureJobId } from '../../src/queue/flow.js';

/**
 * What the suite reads from Postgres and Redis: where the work is (to strike at the right moment)
 * and, at the end, how each request ended and what its trail says.
 */

const CLAIM_PREFIX = '{dsar}:claim:';

/** A piece of work a worker is doing now: a feature task, or the assembly of a request. */
export interface InProgress {
  requestId: string;
  /** The feature of a task; none for an assembly. */
  feature?: string;
}

export type Phase = 'collect' | 'assembly' | 'erasure';

const label = (w: InProgress) => `${w.requestId}/${w.feature ?? 'assembly'}`;

/**
 * Work of this phase that a worker holds now: in Postgres a running task of an access or export
 * (collect) or of a deletion (erasure), or a request whose tasks have all ended and which has no
 * result yet (assembly); and in Redis the worker's claim on that job (src/queue/claims.ts), so it
 * is being run, not waiting. Work already struck once (`struck`) is left out: its claim outlives the worker.
 */
export async function inProgress(sql: postgres.Sql, redis: Redis, phase: Phase, struck: Set<string>): Promise<InProgress[]> {
  const rows: InProgress[] =
    phase === 'assembly'
      ? await sql`
          select r.id as "requestId" from requests r
          where r.status = 'processing' and r.result_key is null
            and not exists (select 1 from tasks t where t.request_id = r.id and t.status in ('pending', 'running'))`
      : await sql`
          select t.request_id as "requestId", t.feature from tasks t join requests r on r.id = t.request_id
          where t.status = 'running' and (r.type = 'deletion') = ${phase === 'erasure'}`;
  const held: InProgress[] = [];
  for (const w of rows.filter((w) => !struck.has(label(w)))) {
    const job = w.feature ? featureJobId(w.requestId, w.feature) : assemblyJobId(w.requestId);
    if ((await redis.exists(CLAIM_PREFIX + job)) === 1) held.push(w);
  }
  return held;
}

/** After the worker was killed: is this work still unfinished in Postgres (so the kill interrupted it)? */
export async function stillUnfinished(sql: postgres.Sql, work: InProgress): Promise<boolean> {
  if (work.feature) {
    const [task] = await sql`select status from tasks where request_id = ${work.requestId} and feature = ${work.feature}`;
    return task?.status === 'running';
  }
  const [request] = await sql`select status, result_key from requests where id = ${work.requestId}`;
  return request?.status === 'processing' && request.result_key === null;
}

export function describeWork(work: InProgress[]): string {
  const tasks = work.filter((w) => w.feature).length;
  const assemblies = work.length - tasks;
  return [tasks ? `${tasks} task${tasks > 1 ? 's' : ''}` : '', assemblies ? `${assemblies} assembl${assemblies > 1 ? 'ies' : 'y'}` : '']
    .filter(Boolean)
    .join(' + ');
}

export { label as workLabel };

/** How many requests are queued (waiting for a worker) and how many tasks run now. */
export async function load(sql: postgres.Sql): Promise<{ queued: number; running: number }> {
  const [row] = await sql`
    select (select count(*) from requests where status in ('received', 'queued'))::int as queued,
           (select count(*) from tasks where status = 'running')::int as running`;
  return { queued: row?.queued ?? 0, running: row?.running ?? 0 };
}

/** Requests of these ids not yet in a final status. */
export async function unfinished(sql: postgres.Sql, ids: string[]): Promise<number> {
  const [row] = await sql`select count(*)::int as n from requests where id = any(${ids}::uuid[]) and status <> all(${[...TERMINAL_STATUSES]})`;
  return row?.n ?? ids.length;
}

export interface Ending {
  status: string;
  /** Why the request counts as duplicated, if it does. */
  duplicates: string[];
  /** Files left in the results store after it ended: cut writes, work files not deleted. */
  leftovers: number;
}

/** The files under a directory (none if it does not exist). */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

/**
 * How each request ended, and its duplicates by the trail and the results store: a task completed
 * twice (two `task_completed` events for one feature), a request closed twice (two closing events),
 * or more result files stored for it than the parts on record. Files left behind are counted apart:
 * they leak, but are neither a loss nor a duplicate.
 */
export async function endings(sql: postgres.Sql, ids: string[], resultsDir: string): Promise<Map<string, Ending>> {
  const rows = await sql`
    select r.id, r.status,
      (select count(*) from result_parts p where p.request_id = r.id)::int as parts,
      r.result_key is not null as "hasResult",
      (select count(*) from audit_events e where e.request_id = r.id
         and e.kind in ('completed', 'partially_completed', 'failed'))::int as closings,
      (select count(*) from (select e.feature from audit_events e where e.request_id = r.id and e.kind = 'task_completed'
         group by e.feature having count(*) > 1) twice)::int as "tasksTwice"
    from requests r where r.id = any(${ids}::uuid[])`;
  const ended = new Map<string, Ending>();
  for (const row of rows) {
    const duplicates: string[] = [];
    if (row.tasksTwice > 0) duplicates.push(`${row.tasksTwice} task(s) completed twice`);
    if (row.closings > 1) duplicates.push(`closed ${row.closings} times`);
    // The store is compared with the record once the request has ended (an assembly under way has written its file, not yet recorded it).
    const over = TERMINAL_STATUSES.includes(row.status);
    const stored = over ? await files(path.join(resultsDir, 'results', row.id)) : [];
    // A write cut by a kill leaves `<key>.<uuid>.partial` (LocalBlobStore): not a result, but left behind.
    const results = stored.filter((name) => !name.endsWith('.partial'));
    const onRecord = row.parts || (row.hasResult ? 1 : 0);
    if (results.length > onRecord) duplicates.push(`${results.length} result files for ${onRecord} on record`);
    const work = over ? await files(path.join(resultsDir, 'work', row.id)) : [];
    ended.set(row.id, { status: row.status, duplicates, leftovers: stored.length - results.length + work.length });
  }
  return ended;
}
