import { and, asc, count, desc, DrizzleQueryError, eq, exists, fillPlaceholders, getTableColumns, getTableName, gt, gte, inArray, isNotNull, isNull, lt, or, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { PgColumn, PgPreparedQuery, PreparedQueryConfig } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client.js';
import {
  DEADLINE_STATUSES,
  INITIAL_STATUS,
  OPEN_STATUSES,
  QUEUE_STATUSES,
  REQUEST_TRANSITIONS,
  RELEASE_STATUSES,
  RESULT_DELETED_STATUSES,
  RESULT_STATUSES,
  TASK_TRANSITIONS,
  type RequestStatus,
  type RequestTransitionName,
  type TaskStatus,
  type TaskTransitionName,
  type Transition,
} from './lifecycle.js';
import { IS_OPEN, requestedChanges, requests, resultParts, tasks, type RequestedChangeRow, type RequestRow, type ResultPartRow, type TaskRow } from './tables.js';
import type { RequestedChange } from './schemas.js';
import { AuditTrail } from '../audit/trail.js';
import type { AuditEventRow } from '../audit/tables.js';
import { SYSTEM_ACTOR, type Actor } from '../auth/principal.js';
import { RequestRecords } from '../records/records.js';
import type { ManualFile } from '../tasks/task-json.js';

/** Which ended requests a bulk retry takes: those with a failed task (of the feature, if given). */
export interface RetryFilter {
  statuses: readonly RequestStatus[];
  feature?: string | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
}

export interface RequestFilter {
  status?: RequestStatus | undefined;
  type?: RequestRow['type'] | undefined;
  accountId?: string | undefined;
  /** Only requests overdue at this time. */
  overdueAt?: Date | undefined;
  dueBefore?: Date | undefined;
}
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** What a transition may record besides the status (which only the lifecycle sets). */
export type RequestValues = Omit<Partial<typeof requests.$inferInsert>, 'id' | 'status'>;
type PartValues = Omit<ResultPartRow, 'requestId' | 'part' | 'mediaType'>;
/** An assembled result: its first (or only) file, and every file when it is split into parts. */
export interface ClosingResult {
  key: string;
  mediaType: string;
  size: number;
  sha256: string;
  parts: PartValues[];
  /** A deletion's signed receipt: kept on the request's record beyond the result's retention. */
  receipt?: object;
}
export type TaskValues = Omit<Partial<typeof tasks.$inferInsert>, 'id' | 'requestId' | 'feature' | 'status'>;

/** A request as insertWithTasks wrote it, with its tasks and its changes (a correction's). */
export interface Written {
  request: RequestRow;
  tasks: ShownTask[];
  changes: RequestedChangeRow[];
}

type PreparedMove = PgPreparedQuery<PreparedQueryConfig & { execute: TaskRow[] }>;
type PreparedInsert = PgPreparedQuery<PreparedQueryConfig & { execute: Array<RequestRow & { tasks: ShownTask[] }> }>;

/** Which values are set and which are null (undefined ones are left out, as drizzle leaves them out of a SET). */
function shapeOf(values: Record<string, unknown>): string {
  return Object.keys(values)
    .filter((k) => values[k] !== undefined)
    .sort()
    .map((k) => (values[k] === null ? `${k}=null` : k))
    .join(',');
}

/**
 * A placeholder for each value, or null as it is: a placeholder's value is encoded as its column's
 * (a jsonb null would become the JSON `null`), so nulls stay in the statement's shape.
 */
function placeholders(values: Record<string, unknown>, prefix: string): Record<string, Placeholder | null> {
  const out: Record<string, Placeholder | null> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k] = v === null ? null : sql.placeholder(prefix + k);
  return out;
}

/** The values of placeholders(values, prefix). */
function bound(values: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null) out[prefix + k] = v;
  return out;
}

/**
 * What a request's view shows of a task (request-service.ts taskView), and all a request's reads and
 * writes return of its tasks: the rest of a task (its datasets, outcome, keys) is the worker's.
 */
const SHOWN_TASK_COLUMNS = (({ feature, status, counts, error, startedAt, finishedAt }) => ({ feature, status, counts, error, startedAt, finishedAt }))(
  getTableColumns(tasks),
);
export type ShownTask = { [K in keyof typeof SHOWN_TASK_COLUMNS]: TaskRow[K] };
const SHOWN_TASK_ENTRIES = Object.entries(SHOWN_TASK_COLUMNS);

/**
 * Tasks as one JSON array in tasksOf's order, each task's shown fields (SHOWN_TASK_COLUMNS) named as in
 * TaskRow, so that a request and its tasks are read (or written) in one statement (one snapshot, one round
 * trip): those of `from` (the tasks table, or a CTE of its rows) that match `where`.
 */
function tasksJson(from: SQL, where: SQL) {
  return sql`(
  select coalesce(json_agg(json_build_object(${sql.join(
    SHOWN_TASK_ENTRIES.map(([name, column]) => sql`${sql.raw(`'${name}'`)}, t.${sql.identifier(column.name)}`),
    sql`, `,
  )}) order by t.feature), '[]')
  from ${from} t where ${where})`.mapWith(tasksFromJson);
}

/** A request's tasks (tasksJson), read with the request. */
const TASKS_OF_REQUEST = tasksJson(sql`${tasks}`, sql`t.request_id = ${qualified(requests.id)}`);

/** A column named with its table: drizzle leaves a select's own columns unqualified, and this one correlates two tables. */
function qualified(column: PgColumn): SQL {
  return sql`${sql.identifier(getTableName(column.table))}.${sql.identifier(column.name)}`;
}

/** TASKS_OF_REQUEST's array, each value decoded by its column as drizzle decodes a row's (timestamps to Dates). */
function tasksFromJson(value: unknown): ShownTask[] {
  const rows = (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>[];
  return rows.map((row) => {
    const task: Record<string, unknown> = {};
    for (const [name, column] of SHOWN_TASK_ENTRIES) task[name] = row[name] === null ? null : column.mapFromDriverValue(row[name]);
    return task as ShownTask;
  });
}

const REQUEST_COLUMNS = Object.entries(getTableColumns(requests));

/**
 * findWithTasks' statement, built by drizzle and run by postgres.js itself: a row comes as values in the
 * select's order (the request's columns, then its tasks), each decoded by its column as drizzle decodes it
 * (the tasks by tasksFromJson), in one loop. drizzle's run of a prepared query (its wrappers at each call,
 * its type checks at each column) cost a quarter of this read's CPU, the most of a GET of a request beyond
 * the bare route's (bench/README.md, API, session 16). Prepared, as drizzle's statements are (postgres.js
 * prepares none of its `unsafe` ones by itself). Outside a transaction only: a transaction's connection is
 * drizzle's.
 */
function requestWithTasks(db: Db | Tx) {
  const client = '$client' in db ? db.$client : undefined;
  const query = db
    .select({ ...Object.fromEntries(REQUEST_COLUMNS), tasks: TASKS_OF_REQUEST })
    .from(requests)
    .where(and(eq(requests.id, sql.placeholder('id')), eq(requests.tenantId, sql.placeholder('tenantId'))))
    .toSQL();
  return async (values: { id: string; tenantId: string }): Promise<{ request: RequestRow; tasks: ShownTask[] } | undefined> => {
    if (!client) throw new Error('a request with its tasks is read outside transactions');
    const params = fillPlaceholders(query.params, values) as string[];
    const [row] = await client
      .unsafe(query.sql, params, { prepare: true })
      .values()
      .catch((cause: Error) => {
        // As drizzle throws a failed statement's error, so that it is logged and answered alike (errors.ts).
        throw new DrizzleQueryError(query.sql, params, cause);
      });
    if (!row) return undefined;
    const request: Record<string, unknown> = {};
    REQUEST_COLUMNS.forEach(([name, column], i) => {
      request[name] = row[i] === null ? null : column.mapFromDriverValue(row[i]);
    });
    return { request: request as RequestRow, tasks: tasksFromJson(row[REQUEST_COLUMNS.length]) };
  };
}

function buildReads(db: Db | Tx) {
  return {
    findWithTasks: requestWithTasks(db),
    find: db
      .select()
      .from(requests)
      .where(and(eq(requests.id, sql.placeholder('id')), eq(requests.tenantId, sql.placeholder('tenantId'))))
      .prepare('request_find'),
    tasksOf: db.select().from(tasks).where(eq(tasks.requestId, sql.placeholder('requestId'))).orderBy(asc(tasks.feature)).prepare('request_tasks'),
    findById: db.select().from(requests).where(eq(requests.id, sql.placeholder('id'))).prepare('request_find_by_id'),
  };
}

/**
 * Every query on requests, their tasks, events and result parts. Services decide; this only reads
 * and writes, and every status it writes is a transition of the lifecycle (lifecycle.ts).
 */
export class RequestRepository {
  private readonly trail: AuditTrail;
  /** The reads every GET of a request and every task makes, built once (see reads). */
  private hotReads: ReturnType<typeof buildReads> | undefined;
  /** Task moves with their events, by transition and shape (preparedMove). */
  private readonly moves = new Map<string, PreparedMove>();
  /** insertWithTasks' statements, by shape (preparedInsert). */
  private readonly inserts = new Map<string, PreparedInsert>();
  /** moveRequests' statements, by transition. */
  private readonly batchMoves: { queue?: ReturnType<RequestRepository['prepareBatchMove']> } = {};

  constructor(private readonly db: Db | Tx) {
    this.trail = new AuditTrail(db);
  }

  /** Built on first use: drizzle would build the query's text anew at every call, which costs more than the query here. */
  private reads(): ReturnType<typeof buildReads> {
    this.hotReads ??= buildReads(this.db);
    return this.hotReads;
  }

  /**
   * Writes a request with its tasks, running (`received`) or under review (`awaiting_approval`): a task
   * for each of its features. Returns nothing when the subject has an open request of that type already
   * (lost a race to it).
   */
  async insertWithTasks(
    row: Omit<typeof requests.$inferInsert, 'status'>,
    actor: Actor,
    review = false,
    changes: readonly RequestedChange[] = [],
  ): Promise<Written | undefined> {
    const status = review ? INITIAL_STATUS.reviewed : INITIAL_STATUS.request;
    // The trail names the items to correct, never their values.
    const asked = changes.length > 0 ? { changes: changes.map(({ feature, item }) => ({ feature, item })) } : {};
    const detail = { type: row.type, features: row.features, regime: row.regime, verification: row.verificationMethod, ...asked };
    const values = { ...row, status };
    const params = { ...bound(values, 'request:'), ...bound({ ...actor }, 'actor:'), detail };
    // The request, its tasks and its `received` event are one statement, so one commit; what only a
    // reviewed request or a correction adds is written with it in a transaction.
    if (!review && changes.length === 0) return this.written(await this.preparedInsert(this.db, values, actor).execute(params), []);
    return this.db.transaction(async (tx) => {
      const [created] = await this.preparedInsert(tx, values, actor, false).execute(params);
      if (!created) return undefined;
      const changeRows = changes.map((c, position) => ({ requestId: created.id, position, feature: c.feature, item: c.item, newValue: c.value, explanation: c.explanation }));
      const [changed] = await Promise.all([
        changeRows.length > 0 ? tx.insert(requestedChanges).values(changeRows).returning() : [],
        review ? new AuditTrail(tx).record({ tenantId: created.tenantId, requestId: created.id, kind: status, actor: SYSTEM_ACTOR }) : undefined,
      ]);
      return this.written([created], changed);
    });
  }

  private written(rows: Array<RequestRow & { tasks: ShownTask[] }>, changes: RequestedChangeRow[]): Written | undefined {
    const [row] = rows;
    if (!row) return undefined;
    const { tasks: taskRows, ...request } = row;
    // In the order changesOf reads them (the tasks come in tasksOf's).
    return { request, tasks: taskRows, changes: changes.sort((a, b) => a.position - b.position) };
  }

  /**
   * insertWithTasks' statement: the request (nothing when the subject has an open one of its type), a
   * pending task for each of its features and its `received` event with the event's deliveries, written
   * if and only if the request is; the request and its tasks come back. Prepared once per shape of the
   * values (which are null) on the repository's own connection pool; built at each call in a transaction.
   */
  private preparedInsert(db: Db | Tx, values: typeof requests.$inferInsert, actor: Actor, keep = true): PreparedInsert {
    const shape = `insert ${shapeOf(values)} ${shapeOf({ ...actor })}`;
    const kept = keep ? this.inserts.get(shape) : undefined;
    if (kept) return kept;
    const created = db.$with('created').as(
      db
        .insert(requests)
        .values(placeholders(values, 'request:') as unknown as typeof requests.$inferInsert)
        .onConflictDoNothing({ target: [requests.tenantId, requests.subjectAccountId, requests.type], where: IS_OPEN })
        .returning(),
    );
    const written = db.$with('written_tasks', {}).as(
      sql`insert into ${tasks} (request_id, feature, status) select c.id, f.feature, ${INITIAL_STATUS.task} from ${created} c, unnest(c.features) f(feature) returning *`,
    );
    const recorded = placeholders({ ...actor }, 'actor:');
    const events = new AuditTrail(db).eventsOf(sql`(select id as request_id from ${created})`, {
      kind: 'received',
      actor: { type: recorded.type, id: recorded.id, name: recorded.name, ip: recorded.ip } as Parameters<AuditTrail['eventsOf']>[1]['actor'],
      detail: sql.placeholder('detail'),
      tenantId: sql.placeholder('request:tenantId'),
    });
    const columns = Object.fromEntries(Object.keys(getTableColumns(requests)).map((name) => [name, created[name as keyof typeof created]])) as unknown as ReturnType<typeof getTableColumns<typeof requests>>;
    const insert = db
      .with(created, written, ...events)
      .select({ ...columns, tasks: tasksJson(sql`written_tasks`, sql`true`) })
      .from(created)
      .prepare('request_insert');
    if (keep) this.inserts.set(shape, insert);
    return insert;
  }

  async find(tenantId: string, id: string): Promise<RequestRow | undefined> {
    const [row] = await this.reads().find.execute({ id, tenantId });
    return row;
  }

  /** The request with its tasks (in tasksOf's order, the fields its view shows), read together. */
  async findWithTasks(tenantId: string, id: string): Promise<{ request: RequestRow; tasks: ShownTask[] } | undefined> {
    return this.reads().findWithTasks({ id, tenantId });
  }

  /** The subject's open request of that type, if any. */
  async findOpen(tenantId: string, accountId: string, type: RequestRow['type']): Promise<RequestRow | undefined> {
    const [row] = await this.db
      .select()
      .from(requests)
      .where(
        and(
          eq(requests.tenantId, tenantId),
          eq(requests.subjectAccountId, accountId),
          eq(requests.type, type),
          inArray(requests.status, [...OPEN_STATUSES]),
        ),
      );
    return row;
  }

  async findById(id: string): Promise<RequestRow | undefined> {
    const [row] = await this.reads().findById.execute({ id });
    return row;
  }

  async tasksOf(requestId: string): Promise<TaskRow[]> {
    return this.reads().tasksOf.execute({ requestId });
  }

  async task(requestId: string, feature: string): Promise<TaskRow | undefined> {
    const [row] = await this.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.requestId, requestId), eq(tasks.feature, feature)));
    return row;
  }

  async list(
    tenantId: string,
    filter: RequestFilter,
    after: { createdAt: Date; id: string } | undefined,
    limit: number,
  ): Promise<RequestRow[]> {
    const conditions: SQL[] = [eq(requests.tenantId, tenantId)];
    if (filter.status) conditions.push(eq(requests.status, filter.status));
    if (filter.type) conditions.push(eq(requests.type, filter.type));
    if (filter.accountId) conditions.push(eq(requests.subjectAccountId, filter.accountId));
    if (filter.overdueAt) conditions.push(overdue(filter.overdueAt));
    if (filter.dueBefore) conditions.push(lt(requests.dueAt, filter.dueBefore));
    if (after) {
      // Keyset pagination, newest first: strictly "before" the last row of the previous page.
      conditions.push(
        or(lt(requests.createdAt, after.createdAt), and(eq(requests.createdAt, after.createdAt), lt(requests.id, after.id)))!,
      );
    }
    return this.db
      .select()
      .from(requests)
      .where(and(...conditions))
      .orderBy(desc(requests.createdAt), desc(requests.id))
      .limit(limit);
  }

  /** How many of the tenant's (or one account's) requests are in each status, and how many are overdue at `now`. */
  async stats(tenantId: string, now: Date, accountId?: string): Promise<{ byStatus: Partial<Record<RequestStatus, number>>; overdue: number }> {
    const scope = and(eq(requests.tenantId, tenantId), accountId === undefined ? undefined : eq(requests.subjectAccountId, accountId));
    const rows = await this.db.select({ status: requests.status, n: count() }).from(requests).where(scope).groupBy(requests.status);
    const [late] = await this.db
      .select({ n: count() })
      .from(requests)
      .where(and(scope, overdue(now)));
    return { byStatus: Object.fromEntries(rows.map((r) => [r.status, r.n])), overdue: late?.n ?? 0 };
  }

  /** Requests of every tenant per type and status, and how many of them are overdue at `now` (the metrics' gauges). */
  async countsByTypeAndStatus(now: Date): Promise<Array<{ type: string; status: string; n: number; overdue: number }>> {
    return this.db
      .select({
        type: requests.type,
        status: requests.status,
        n: count(),
        overdue: sql<number>`count(*) filter (where ${overdue(now)})`.mapWith(Number),
      })
      .from(requests)
      .groupBy(requests.type, requests.status);
  }

  /**
   * Extends an open request's deadline, once: returns the extended row, or nothing when the request
   * has ended or was extended before (in a race too: one conditional UPDATE).
   */
  async extend(id: string, dueAt: Date, reason: string, at: Date, actor: Actor, detail: Record<string, unknown>): Promise<RequestRow | undefined> {
    return this.db.transaction(async (tx) => {
      const [extended] = await tx
        .update(requests)
        .set({ dueAt, extendedAt: at, extensionReason: reason, updatedAt: at })
        .where(and(eq(requests.id, id), isNull(requests.extendedAt), inArray(requests.status, [...OPEN_STATUSES])))
        .returning();
      if (extended) await new AuditTrail(tx).record({ tenantId: extended.tenantId, requestId: id, kind: 'extended', actor, detail });
      return extended;
    });
  }

  /**
   * Retries a request that ended with failed tasks: moves it back to `queued` and its failed tasks
   * to `pending`, and records who asked and which features run again, in one transaction. Returns
   * the moved request and those features; nothing when it is not retryable (any more) or has no
   * failed task; 'open-request' when the subject has another open request of its type meanwhile.
   */
  async retry(id: string, values: RequestValues, actor: Actor): Promise<{ request: RequestRow; features: string[] } | 'open-request' | undefined> {
    try {
      return await this.db.transaction(async (tx) => {
        const failed = await tx
          .select({ feature: tasks.feature })
          .from(tasks)
          .where(and(eq(tasks.requestId, id), inArray(tasks.status, [...TASK_TRANSITIONS.retry.from])))
          .orderBy(asc(tasks.feature))
          .for('update');
        if (failed.length === 0) return undefined;
        const features = failed.map((t) => t.feature);
        const repo = new RequestRepository(tx);
        const request = await repo.moveRequest(id, 'retry', values, actor, { features });
        if (request) await repo.moveTasks(id, 'retry', { error: null, startedAt: null, finishedAt: null });
        return request && { request, features };
      });
    } catch (err) {
      // The unique index of open requests: the subject asked again, and that request is open.
      if (isUniqueViolation(err)) return 'open-request';
      throw err;
    }
  }

  /** The tenant's ended requests a bulk retry takes, oldest first, at most `limit`. */
  async retryable(tenantId: string, filter: RetryFilter, limit: number): Promise<string[]> {
    const failedTask = [eq(tasks.requestId, requests.id), inArray(tasks.status, [...TASK_TRANSITIONS.retry.from])];
    if (filter.feature !== undefined) failedTask.push(eq(tasks.feature, filter.feature));
    const conditions = [
      eq(requests.tenantId, tenantId),
      inArray(requests.status, [...filter.statuses]),
      exists(this.db.select({ one: sql`1` }).from(tasks).where(and(...failedTask))),
    ];
    if (filter.createdAfter) conditions.push(gte(requests.createdAt, filter.createdAfter));
    if (filter.createdBefore) conditions.push(lt(requests.createdAt, filter.createdBefore));
    const rows = await this.db
      .select({ id: requests.id })
      .from(requests)
      .where(and(...conditions))
      .orderBy(asc(requests.createdAt), asc(requests.id))
      .limit(limit);
    return rows.map((r) => r.id);
  }

  /**
   * Moves a request by one transition of the lifecycle, in one conditional UPDATE, and records it.
   * Returns the moved row, or nothing when the request is not in a status the transition starts from.
   */
  async moveRequest(
    id: string,
    name: RequestTransitionName,
    values: RequestValues = {},
    actor: Actor = SYSTEM_ACTOR,
    detail?: Record<string, unknown>,
  ): Promise<RequestRow | undefined> {
    const transition: Transition<RequestStatus, string> = REQUEST_TRANSITIONS[name];
    const now = new Date();
    const [moved] = await this.db
      .update(requests)
      .set({ ...(transition.stamp ? { [transition.stamp]: now } : {}), ...values, status: transition.to, updatedAt: now })
      .where(and(eq(requests.id, id), inArray(requests.status, [...transition.from])))
      .returning();
    if (moved) {
      const kind = transition.event ?? transition.to;
      await this.trail.record({ tenantId: moved.tenantId, requestId: id, kind, actor, detail });
      // A transition that stamps completedAt ends the request: its record is kept (src/records).
      if (transition.stamp === 'completedAt') await new RequestRecords(this.db).keep(moved);
    }
    return moved;
  }

  /**
   * Moves many requests by one transition at once (the system's doing): the moves and their events (with
   * their deliveries) in one statement, so a batch costs one round trip and one commit. Returns the rows
   * moved; a request not in a status the transition starts from is left as it is.
   */
  async moveRequests(ids: readonly string[], name: 'queue'): Promise<RequestRow[]> {
    if (ids.length === 0) return [];
    this.batchMoves[name] ??= this.prepareBatchMove(name);
    return this.batchMoves[name].execute({ ids, now: new Date() });
  }

  /** moveRequests' statement, prepared once per transition: the ids are one array parameter. */
  private prepareBatchMove(name: 'queue') {
    const transition: Transition<RequestStatus, string> = REQUEST_TRANSITIONS[name];
    const moved = this.db.$with('moved').as(
      this.db
        .update(requests)
        .set({ status: transition.to, updatedAt: sql.placeholder('now') as unknown as Date })
        .where(and(sql`${requests.id} = any(${sql.placeholder('ids')}::uuid[])`, inArray(requests.status, [...transition.from])))
        .returning(),
    );
    const events = this.trail.eventsOf(sql`(select id as request_id from ${moved})`, { kind: transition.event ?? transition.to, actor: SYSTEM_ACTOR });
    return this.db.with(moved, ...events).select().from(moved).prepare(`requests_${name}`);
  }

  /**
   * Closes a request with its result: the transition and the result's parts, recorded together.
   * Returns the closed row, or nothing when the request had already ended (its parts untouched).
   */
  async closeWithResult(
    id: string,
    name: 'complete' | 'completePartially' | 'fail' | 'awaitRelease',
    result: ClosingResult,
    completedAt: Date,
    /** Goes into the closing event (and so its webhook): ids only, never personal data. */
    detail?: Record<string, unknown>,
  ): Promise<RequestRow | undefined> {
    const { key, mediaType, size, sha256, parts } = result;
    // A result awaiting release has not been given yet: its retention starts on release.
    const values = { completedAt: name === 'awaitRelease' ? null : completedAt, resultKey: key, resultMediaType: mediaType, resultSize: size, resultSha256: sha256 };
    return this.db.transaction(async (tx) => {
      const closed = await new RequestRepository(tx).moveRequest(id, name, values, SYSTEM_ACTOR, detail);
      if (closed) await recordParts(tx, id, mediaType, parts);
      if (closed && result.receipt) await new RequestRecords(tx).keepReceipt(id, result.receipt);
      return closed;
    });
  }

  /** Moves one task by one transition of the lifecycle; `detail` goes into the transition's event. */
  async moveTask(
    requestId: string,
    feature: string,
    name: TaskTransitionName,
    values: TaskValues = {},
    detail?: Record<string, unknown>,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<TaskRow | undefined> {
    const transition: Transition<TaskStatus, string> = TASK_TRANSITIONS[name];
    if (!transition.event) return (await this.moveTasks(requestId, name, values, feature))[0];
    const set: Record<string, unknown> = { ...(transition.stamp ? { [transition.stamp]: new Date() } : {}), ...values };
    const recorded: Record<string, unknown> = { detail, ...actor };
    const [row] = await this.preparedMove(name, set, recorded).execute({ requestId, feature, ...bound(set, 'set:'), ...bound(recorded, 'event:') });
    return row;
  }

  /**
   * A task's move and its event in one statement (the event is written if and only if the task
   * moved), prepared once per transition and shape of its values: drizzle would build the statement's
   * text anew at every call, which costs more than running it (two per feature task).
   */
  private preparedMove(name: TaskTransitionName, set: Record<string, unknown>, recorded: Record<string, unknown>) {
    const shape = `${name} ${shapeOf(set)} ${shapeOf(recorded)}`;
    let move = this.moves.get(shape);
    if (!move) {
      const { event, to, from } = TASK_TRANSITIONS[name] as Transition<TaskStatus, string>;
      const setting = placeholders(set, 'set:');
      const recording = placeholders(recorded, 'event:');
      const movedRows = this.db
        .update(tasks)
        .set({ ...setting, status: to })
        .where(and(eq(tasks.requestId, sql.placeholder('requestId')), eq(tasks.feature, sql.placeholder('feature')), inArray(tasks.status, [...from])))
        .returning();
      const moved = this.db.$with('moved').as(movedRows);
      const actor = { type: recording.type, id: recording.id, name: recording.name, ip: recording.ip } as Parameters<AuditTrail['eventsOf']>[1]['actor'];
      const events = this.trail.eventsOf(moved, { kind: event!, feature: sql.placeholder('feature'), detail: recording.detail as Placeholder | undefined, actor });
      move = this.db.with(moved, ...events).select().from(moved).prepare(`task_${name}`);
      this.moves.set(shape, move);
    }
    return move;
  }

  /** Moves every task of a request that may take the transition (without events); returns the moved ones. */
  async moveTasks(requestId: string, name: TaskTransitionName, values: TaskValues = {}, feature?: string): Promise<TaskRow[]> {
    return this.moveTasksQuery(requestId, name, values, feature);
  }

  private moveTasksQuery(requestId: string, name: TaskTransitionName, values: TaskValues, feature: string | undefined) {
    const transition: Transition<TaskStatus, string> = TASK_TRANSITIONS[name];
    const conditions = [eq(tasks.requestId, requestId), inArray(tasks.status, [...transition.from])];
    if (feature !== undefined) conditions.push(eq(tasks.feature, feature));
    return this.db
      .update(tasks)
      .set({ ...(transition.stamp ? { [transition.stamp]: new Date() } : {}), ...values, status: transition.to })
      .where(and(...conditions))
      .returning();
  }

  /**
   * Adds a file to a manual task's outcome while an agent works on it, refused once the task is no
   * longer waiting for them. One UPDATE appends to the stored list, so parallel uploads to one task
   * all keep their file (a read, then a write of the whole outcome, would keep only the last).
   */
  async addManualFile(requestId: string, feature: string, file: ManualFile): Promise<boolean> {
    const files = sql`coalesce(${tasks.outcome} #> '{manual,files}', '[]'::jsonb) || jsonb_build_array(${JSON.stringify(file)}::jsonb)`;
    const note = sql`coalesce(${tasks.outcome} #> '{manual,note}', '""'::jsonb)`;
    const updated = await this.db
      .update(tasks)
      .set({ outcome: sql`jsonb_build_object('manual', jsonb_build_object('note', ${note}, 'files', ${files}))` })
      .where(and(eq(tasks.requestId, requestId), eq(tasks.feature, feature), eq(tasks.status, 'action_required')))
      .returning({ id: tasks.id });
    return updated.length > 0;
  }

  /**
   * Runs `work` with the task's row locked (SELECT … FOR UPDATE) and a repository in the same
   * transaction: what it read of the task stays true until it commits. An upload appending a file
   * meanwhile waits for it, then finds the task no longer waiting.
   */
  async withTaskLocked<T>(requestId: string, feature: string, work: (task: TaskRow | undefined, repo: RequestRepository) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      const [task] = await tx
        .select()
        .from(tasks)
        .where(and(eq(tasks.requestId, requestId), eq(tasks.feature, feature)))
        .for('update');
      return work(task, new RequestRepository(tx));
    });
  }

  /** A correction's changes, in the order asked. */
  async changesOf(requestId: string, feature?: string): Promise<RequestedChangeRow[]> {
    const conditions = [eq(requestedChanges.requestId, requestId)];
    if (feature !== undefined) conditions.push(eq(requestedChanges.feature, feature));
    return this.db
      .select()
      .from(requestedChanges)
      .where(and(...conditions))
      .orderBy(asc(requestedChanges.position));
  }

  /** Records what became of a pending change; a change decided before stays as it was (a job run again). */
  async decideChange(id: string, decision: { outcome: 'corrected' | 'refused'; oldValue?: string | null; reason?: string | null }): Promise<boolean> {
    const updated = await this.db
      .update(requestedChanges)
      .set({ outcome: decision.outcome, oldValue: decision.oldValue ?? null, reason: decision.reason ?? null, decidedAt: new Date() })
      .where(and(eq(requestedChanges.id, id), eq(requestedChanges.outcome, 'pending')))
      .returning({ id: requestedChanges.id });
    return updated.length > 0;
  }

  /**
   * Erases the values of the subject's corrections made before `before` (a deletion of the subject
   * completed): what was asked and what the stores held are personal data. The items and outcomes stay.
   */
  async eraseChangeValues(tenantId: string, accountId: string, before: Date): Promise<number> {
    const ofSubject = this.db
      .select({ id: requests.id })
      .from(requests)
      .where(and(eq(requests.tenantId, tenantId), eq(requests.subjectAccountId, accountId), lt(requests.createdAt, before)));
    const erased = await this.db
      .update(requestedChanges)
      .set({ newValue: null, oldValue: null, explanation: null, erasedAt: new Date() })
      .where(and(inArray(requestedChanges.requestId, ofSubject), isNull(requestedChanges.erasedAt)))
      .returning({ id: requestedChanges.id });
    return erased.length;
  }

  /** Every file of a result split into parts, for `?part=N`. */
  async parts(requestId: string): Promise<ResultPartRow[]> {
    return this.db.select().from(resultParts).where(eq(resultParts.requestId, requestId)).orderBy(asc(resultParts.part));
  }

  /** Records the parts of a result split into several files as parts 1..n (none for a single-file result). */
  async recordParts(requestId: string, mediaType: string, parts: PartValues[]): Promise<void> {
    await this.db.transaction((tx) => recordParts(tx, requestId, mediaType, parts));
  }

  /**
   * Requests whose result is past retention (with it the work files a failed one kept for a retry,
   * even when its result could not be built), and expired or erased ones whose result is still on
   * record (the job stopped between the two steps), a page at a time.
   */
  async dueForExpiry(completedBefore: Date, limit: number) {
    return this.db
      .select({ id: requests.id, resultKey: requests.resultKey })
      .from(requests)
      .where(
        or(
          and(inArray(requests.status, [...RESULT_STATUSES]), lt(requests.completedAt, completedBefore)),
          and(isNotNull(requests.resultKey), inArray(requests.status, [...RESULT_DELETED_STATUSES])),
        ),
      )
      .limit(limit);
  }

  /**
   * The subject's access, export and correction requests created before `before` that hold a result (given or
   * awaiting release), and erased ones whose result is still on record (stopped between the two steps).
   */
  async resultsOfSubject(tenantId: string, accountId: string, before: Date) {
    return this.db
      .select({ id: requests.id, status: requests.status, resultKey: requests.resultKey })
      .from(requests)
      .where(
        and(
          eq(requests.tenantId, tenantId),
          eq(requests.subjectAccountId, accountId),
          inArray(requests.type, ['access', 'export', 'correction']),
          lt(requests.createdAt, before),
          isNotNull(requests.resultKey),
          inArray(requests.status, [...RESULT_STATUSES, ...RELEASE_STATUSES, 'erased']),
        ),
      );
  }

  async forgetResult(requestId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.delete(resultParts).where(eq(resultParts.requestId, requestId));
      await tx.update(requests).set({ resultKey: null }).where(eq(requests.id, requestId));
    });
  }

  async event(
    requestId: string,
    kind: string,
    feature?: string,
    detail?: Record<string, unknown>,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<void> {
    await this.trail.record({ requestId, kind, feature, detail, actor });
  }

  /** A request's audit trail, oldest first. */
  async events(requestId: string): Promise<AuditEventRow[]> {
    return this.trail.ofRequest(requestId);
  }

  /**
   * Runs the admission of a tenant's waiting requests (src/requests/admission.ts) under a lock of that
   * tenant's, held by this transaction, so that admissions on any number of hosts count one after another.
   * Gives the work the tenant's requests in flight, its oldest waiting (`received`) ones, and all of them.
   */
  async admitting<T>(
    tenantId: string,
    limit: number,
    work: (found: { active: number; waiting: RequestRow[]; backlog: number; repo: RequestRepository }) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`dsar-admission:${tenantId}`}))`);
      const [counts] = await tx
        .select({
          active: sql<number>`count(*) filter (where ${requests.status} <> 'received')`.mapWith(Number),
          backlog: count(),
        })
        .from(requests)
        .where(and(eq(requests.tenantId, tenantId), inArray(requests.status, [...QUEUE_STATUSES])));
      const active = counts?.active ?? 0;
      const free = Math.max(0, limit - active);
      const waiting =
        free === 0
          ? []
          : await tx
              .select()
              .from(requests)
              .where(and(eq(requests.tenantId, tenantId), eq(requests.status, INITIAL_STATUS.request)))
              .orderBy(asc(requests.createdAt), asc(requests.id))
              .limit(free);
      // The admitted requests move within this transaction: it holds a connection already, and the next admission sees them.
      return work({ active, waiting, backlog: counts?.backlog ?? 0, repo: new RequestRepository(tx) });
    });
  }

  /** Tenants with requests waiting to be admitted. */
  async tenantsWaiting(): Promise<string[]> {
    const rows = await this.db.selectDistinct({ tenantId: requests.tenantId }).from(requests).where(eq(requests.status, INITIAL_STATUS.request));
    return rows.map((r) => r.tenantId);
  }

  /** Requests whose work BullMQ should hold (for the reconciler), a page at a time in id order. */
  async inQueue(afterId: string | undefined, limit: number): Promise<RequestRow[]> {
    const conditions = [inArray(requests.status, [...QUEUE_STATUSES])];
    if (afterId !== undefined) conditions.push(gt(requests.id, afterId));
    return this.db
      .select()
      .from(requests)
      .where(and(...conditions))
      .orderBy(asc(requests.id))
      .limit(limit);
  }
}

function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}

/** Past its deadline and still running (a paused request's deadline does not run). */
function overdue(now: Date): SQL {
  return and(lt(requests.dueAt, now), inArray(requests.status, [...DEADLINE_STATUSES]))!;
}

async function recordParts(tx: Tx, requestId: string, mediaType: string, parts: PartValues[]) {
  await tx.delete(resultParts).where(eq(resultParts.requestId, requestId));
  if (parts.length === 0) return;
  await tx.insert(resultParts).values(parts.map((p, i) => ({ ...p, requestId, part: i + 1, mediaType })));
}
