import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout } from 'node:timers/promises';
import { getTableColumns } from 'drizzle-orm';
import { getTableConfig, type PgColumn, type PgTable } from 'drizzle-orm/pg-core';
import type postgres from 'postgres';
import type { FeatureId } from '../catalogue/schema.js';
import type { Sql } from '../db/client.js';
import {
  RowJson,
  type AdapterContext,
  type Collected,
  type CollectedRecord,
  type ColumnType,
  type DatasetDescription,
  type ErasureOutcome,
  type FeatureAdapter,
  type ReachedRecipient,
  type FileRef,
  type SerializedPart,
  type Subject,
} from './adapter.js';
import { bindSubject, bindSubjectToSettings, tableName } from './sql-text.js';
import { recordedErasure, recordErasure } from './erasures/records.js';
import { countInRun, createRun, endRun, forgetRun, otherRunUnderway, setOutcome, startedRun } from './erasures/runs.js';
import { restrictionWords } from './erasure-outcomes.js';
import type { LegalRetention } from './retention.js';
import { others } from './words.js';

/**
 * Feature adapters from descriptions: a feature says, per dataset, which table holds it, which rows
 * belong to the subject, which catalogue item each column carries and how its rows are erased;
 * this engine does the locating, streaming and erasing.
 *
 * A description names its tables by their drizzle objects and their columns by their keys in the
 * table; the SQL names come from drizzle. Its conditions are SQL text, static code, never user
 * input: they name the subject only as `:tenant` and `:account`, which are bound as parameters (for
 * COPY, which takes none, as transaction settings set from parameters; see sql-text.ts), and other
 * tables by `tableName(table)`. A condition refers to its dataset's row by the table name without
 * schema (`messages.conversation_id`), so a subquery on that same table must alias it, or it hides
 * the row. The engine adds `tenant_id = :tenant` for the dataset's own table; subqueries filter by
 * tenant themselves where they start from the subject.
 */

export interface FeatureSpec {
  feature: FeatureId;
  /**
   * Parents before children. Collect follows this order; erasure applies it backwards, so rows go
   * before the rows they reference.
   */
  datasets: DatasetSpec[];
  /** Table queueing blob keys of deleted rows until their bytes are gone; needed when a dataset has a file. */
  blobDeletions?: PgTable;
}

/** A column of the table `T`, by its key in the drizzle table (`senderAccountId`): a typo fails the type check. */
export type ColumnOf<T extends PgTable> = Extract<keyof T['_']['columns'], string>;

/** SQL text over the row, where a column alone does not say it: a file name made from the row's id, a descending sort. */
export interface Expression {
  readonly sql: string;
}

export function expression(sql: string): Expression {
  return { sql };
}

/**
 * A dataset over a drizzle table, its columns named by their keys in the table (`K`); the engine
 * takes their SQL names from drizzle. Write one with `dataset()`, which checks the keys against the table.
 */
export interface DatasetSpec<K extends string = string> {
  name: string;
  title: string;
  /** The table holding the dataset's rows. Every table has a uuid `id` and a `tenant_id`. */
  table: PgTable;
  /** Condition selecting the subject's rows. */
  where: string;
  /** Output columns of the table in order, each with the catalogue item it carries (null: none of the catalogue's). */
  columns: { [C in K]?: string | null };
  /** Ascending by these columns; an expression (`sent_at desc`) sorts as written, but keeps a large dataset in one part. */
  orderBy?: (K | Expression)[];
  file?: FileSpec<K>;
  /** How the rows are erased; without it every row matching `where` is deleted. */
  erase?: ErasureSpec<K>;
  /** Rows a law makes the feature keep: an erasure leaves those younger than the period, the purge takes the older. */
  retention?: RetentionSpec<K>;
  /** Only the latest rows per person are stored: the purge erases the older ones. */
  keepLatest?: KeepLatestSpec<K>;
  /** The subject's rows mean their data went to this catalogue recipient; `named`: the column saying which one. */
  recipients?: { recipient: string; named?: K };
}

/** A dataset of `spec.table`, its column keys checked against that table. */
export function dataset<T extends PgTable>(spec: DatasetSpec<ColumnOf<T>> & { table: T }): DatasetSpec<ColumnOf<T>> {
  return spec;
}

export interface RetentionSpec<K extends string = string> extends LegalRetention {
  /** The timestamp column the period counts from. */
  since: K;
  /**
   * A nullable date column an erasure sets on the rows it must keep: from then on they are restricted
   * to the legal purpose until that date, and every result shows them so (in a `restriction` column).
   */
  restricted: K;
}

/** The output column that says a row is restricted to its legal purpose (null for rows that are not). */
export const RESTRICTION_COLUMN = 'restriction';

export interface KeepLatestSpec<K extends string = string> {
  count: number;
  /** The column naming the person the rows are counted for. */
  per: K;
  /** The timestamp column that says which rows are the latest. */
  by: K;
}

/** The row's file, by columns or SQL expressions over the row; rows whose blob key is null have none. */
export interface FileSpec<K extends string = string> {
  blobKey: K | Expression;
  name: K | Expression;
  mediaType: K | Expression;
  size: K | Expression;
  sha256?: K | Expression;
  /** Catalogue item the file's bytes carry. */
  item: string;
}

export interface ErasureSpec<K extends string = string> {
  /**
   * Rows the erasure handles, when they differ from `where`: rows the subject was the last person
   * to reach (left in a conversation only the subject is still in), or only part of what is collected.
   */
  where?: string;
  /**
   * A query listing the account ids of the people who also have the row (nulls and the subject are
   * ignored). A row with anyone left is shared: kept, with the `anonymize` columns that hold the
   * subject set to null. Rows nobody else has are deleted.
   */
  sharedWith?: string;
  anonymize?: K[];
  /** Why shared rows stay, in words the subject can read; `{others}` becomes "4 other people". */
  note?: string;
  /**
   * A uuid column `sharedWith` depends on the row only through (a message is shared when its
   * conversation is): the erasure decides once per value, not once per row, and each batch finds its
   * rows again by the group and `where`. So the rows `where` selects must not depend on datasets erased
   * before this one (listed after it). Not with a retention period.
   */
  group?: K;
}

/** A description with every table and column resolved to its SQL name: what the queries below are built from. */
interface FeatureSql {
  feature: FeatureId;
  datasets: DatasetSql[];
  blobDeletions?: string;
}

interface DatasetSql {
  name: string;
  title: string;
  /** Schema-qualified: `im.messages`. */
  table: string;
  /** The table's name without schema (`messages`), by which a condition refers to the dataset's row. */
  row: string;
  where: string;
  columns: Record<string, string | null>;
  /** What each output column's values are in the row's JSON. */
  types: Record<string, ColumnType>;
  /** Output columns computed from the row, by name: their SQL expressions. */
  computed: Record<string, string>;
  /** The ORDER BY as SQL terms. */
  orderBy?: string[];
  /** Set when the order is plain columns, ascending: the key a large dataset can be split at. */
  sortKey?: string[];
  file?: Record<(typeof FILE_PARTS)[number], string | undefined> & { item: string };
  erase?: { where?: string; sharedWith?: string; anonymize: string[]; note?: string; group?: string };
  retention?: RetentionSql;
  keepLatest?: { count: number; per: string; by: string };
  recipients?: { recipient: string; named?: string };
}

interface RetentionSql extends LegalRetention {
  since: string;
  restricted: string;
}

type Tx = postgres.TransactionSql;

const BATCH = 500;

export interface CollectTuning {
  /** Estimated rows from which a dataset is serialized in two halves, by two backends side by side. */
  splitRows?: number;
}

/** Below this many rows a second backend costs more (a transaction, a split query) than it saves. */
const SPLIT_ROWS = 100_000;

export function declarativeAdapter(description: FeatureSpec, tuning: CollectTuning = {}): FeatureAdapter {
  const spec = resolve(description);
  const split: Split = { rows: tuning.splitRows ?? SPLIT_ROWS, tables: new TableSizes() };
  return {
    feature: spec.feature,
    datasets: spec.datasets.map(describe),
    locate: (subject, ctx) => locate(spec, subject, ctx),
    collect: (subject, ctx) => collect(spec, subject, ctx),
    collectSerialized: (subject, ctx) => collectSerialized(spec, subject, ctx, split),
    erase: (subject, ctx) => erase(spec, subject, ctx),
    purgeExpired: (tenantId, ctx, now) => purgeExpired(spec, tenantId, ctx, now),
  };
}

/** Names resolved once, at start-up: a key missing from its table fails there, not inside a query. */
function resolve(spec: FeatureSpec): FeatureSql {
  const datasets = spec.datasets.map((d) => resolveDataset(spec.feature, d));
  const withFile = datasets.find((d) => d.file);
  if (withFile && !spec.blobDeletions) throw new Error(`${spec.feature}.${withFile.name}: has files but no blobDeletions table`);
  const resolved: FeatureSql = { feature: spec.feature, datasets };
  if (spec.blobDeletions) resolved.blobDeletions = tableName(spec.blobDeletions);
  return resolved;
}

function resolveDataset(feature: FeatureId, d: DatasetSpec): DatasetSql {
  const columns = getTableColumns(d.table);
  const column = (key: string): string => {
    const found = columns[key];
    if (!found) throw new Error(`${feature}.${d.name}: ${tableName(d.table)} has no column ${key}`);
    return found.name;
  };
  const term = (c: string | Expression) => (typeof c === 'string' ? column(c) : c.sql);
  // Both numbers go into SQL text.
  for (const n of [d.retention?.days, d.keepLatest?.count]) {
    if (n !== undefined && !(Number.isInteger(n) && n > 0)) throw new Error(`${feature}.${d.name}: bad period or count ${n}`);
  }
  const resolved: DatasetSql = {
    name: d.name,
    title: d.title,
    table: tableName(d.table),
    row: getTableConfig(d.table).name,
    where: d.where,
    columns: Object.fromEntries(Object.entries(d.columns).map(([key, item]) => [column(key), item ?? null])),
    types: Object.fromEntries(Object.keys(d.columns).map((key) => [column(key), valueType(columns[key]!)])),
    computed: {},
  };
  if (d.orderBy) {
    resolved.orderBy = d.orderBy.map(term);
    if (d.orderBy.every((c) => typeof c === 'string')) resolved.sortKey = resolved.orderBy;
  }
  if (d.file) {
    const { blobKey, name, mediaType, size, sha256, item } = d.file;
    resolved.file = {
      blobKey: term(blobKey),
      name: term(name),
      mediaType: term(mediaType),
      size: term(size),
      sha256: sha256 === undefined ? undefined : term(sha256),
      item,
    };
  }
  if (d.erase) {
    const { group, ...erase } = d.erase;
    resolved.erase = { ...erase, anonymize: (erase.anonymize ?? []).map(column) };
    if (group !== undefined) resolved.erase.group = groupColumn(feature, d, group);
  }
  if (d.retention) {
    const retention = { ...d.retention, since: column(d.retention.since), restricted: column(d.retention.restricted) };
    resolved.retention = retention;
    resolved.columns[RESTRICTION_COLUMN] = null;
    resolved.types[RESTRICTION_COLUMN] = 'string';
    resolved.computed[RESTRICTION_COLUMN] = restrictionSql(retention);
  }
  if (d.keepLatest) resolved.keepLatest = { ...d.keepLatest, per: column(d.keepLatest.per), by: column(d.keepLatest.by) };
  if (d.recipients) {
    const { recipient, named } = d.recipients;
    resolved.recipients = named === undefined ? { recipient } : { recipient, named: column(named) };
  }
  return resolved;
}

/**
 * What a column's values are in the row's JSON as row_to_json builds it, with json, jsonb, array and
 * user-defined values selected as their text (selectSql).
 */
function valueType(column: PgColumn): ColumnType {
  const type = column.getSQLType();
  if (type.endsWith('[]') || type.startsWith('json')) return 'string';
  if (type.startsWith('timestamp')) return type.endsWith('with time zone') ? 'date-time' : 'string';
  if (type === 'date') return 'date';
  if (type === 'boolean') return 'boolean';
  if (/^(smallint|integer|bigint|(small|big)?serial)$/.test(type)) return 'integer';
  if (/^(numeric|decimal|real|double precision)\b/.test(type)) return 'number';
  return 'string';
}

/** The plan keeps a group's value where it keeps a row's id: a uuid. */
function groupColumn(feature: FeatureId, d: DatasetSpec, key: string): string {
  const found = getTableColumns(d.table)[key];
  if (found?.getSQLType() !== 'uuid') throw new Error(`${feature}.${d.name}: the erasure's group ${key} is not a uuid column`);
  // A batch finds a group's rows again when it runs: a retention period would decide them at another time.
  if (d.retention) throw new Error(`${feature}.${d.name}: an erasure by group cannot have a retention period`);
  return found.name;
}

/** The sentence restrictionWords makes, built by Postgres from the row's date; the purpose is static code. */
function restrictionSql(r: RetentionSql): string {
  const [before, after] = restrictionWords(r.purpose, '\u0000').split('\u0000').map(literal);
  return `case when ${r.restricted} is null then null else ${before} || to_char(${r.restricted}, 'YYYY-MM-DD') || ${after} end`;
}

function literal(text: string | undefined): string {
  return `'${(text ?? '').replaceAll("'", "''")}'`;
}

function describe(d: DatasetSql): DatasetDescription {
  const items: Record<string, string> = {};
  for (const [column, item] of Object.entries(d.columns)) if (item) items[column] = item;
  // The bytes of a row's file carry an item of their own (a drive file's content, a face image).
  if (d.file) items.file = d.file.item;
  const description: DatasetDescription = { name: d.name, title: d.title, columns: Object.keys(d.columns), items, types: d.types };
  if (d.retention) description.retention = { days: d.retention.days, reason: d.retention.reason };
  if (d.recipients) description.recipients = { ...d.recipients };
  return description;
}

/**
 * Items that only columns the erasure clears carry (who wrote, owns, organized a row): a shared row
 * kept without the subject holds none of them. Every other item stays with the row's content.
 */
function identityItemsOf(d: DatasetSql): string[] {
  const cleared = new Set(d.erase?.anonymize ?? []);
  const columnsOf = new Map<string, string[]>();
  for (const [column, item] of Object.entries(d.columns)) if (item) columnsOf.set(item, [...(columnsOf.get(item) ?? []), column]);
  return [...columnsOf].filter(([item, columns]) => item !== d.file?.item && columns.every((c) => cleared.has(c))).map(([item]) => item);
}

function itemsOf(d: DatasetSql): string[] {
  const items = Object.values(d.columns).filter((i) => i !== null);
  return [...new Set(d.file ? [...items, d.file.item] : items)];
}

/** For COPY: the settings `bindSubjectToSettings` reads, set from parameters. */
const SUBJECT_SETTINGS =
  `select set_config('dsar.tenant', $1, true), set_config('dsar.account', $2, true), set_config('dsar.split', $3, true)`;

function scope(d: DatasetSql, condition: string): string {
  return `${d.row}.tenant_id = :tenant and (${condition})`;
}

async function locate(spec: FeatureSql, subject: Subject, ctx: AdapterContext): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const d of spec.datasets) {
    const text = bindSubject(`select count(*)::int as n from ${d.table} where ${scope(d, d.where)}`);
    const [row] = await ctx.sql.unsafe(text, params(ctx.sql, subject));
    counts[d.name] = Number(row?.n ?? 0);
  }
  return counts;
}

const TEXT_OID = 25;

/**
 * $1 tenant, $2 account, $3 dataset name. Typed as text, so a query may leave one unused
 * (Postgres cannot infer the type of a parameter it never sees).
 */
function params(sql: Sql | Tx, subject: Subject, dataset = '') {
  return texts(sql, [subject.tenantId, subject.accountId, dataset]);
}

function texts(sql: Sql | Tx, values: string[]) {
  return values.map((v) => sql.typed(v, TEXT_OID));
}

type Params = ReturnType<typeof texts>;

/** Rows per cursor fetch: enough that round trips do not count, few enough to hold two batches. */
const CURSOR_BATCH = 2000;

async function* collect(spec: FeatureSql, subject: Subject, ctx: AdapterContext): AsyncIterable<CollectedRecord> {
  for (const d of spec.datasets) yield* cursorRecords(d, subject, ctx);
}

/**
 * collect, with every dataset without files serialized whole by Postgres through COPY. Consecutive
 * datasets without files are copied in one read-only transaction (a CopySession), each part consumed
 * before the next dataset is asked for, as writePartial does.
 */
async function* collectSerialized(spec: FeatureSql, subject: Subject, ctx: AdapterContext, split: Split): AsyncIterable<Collected> {
  const session = new CopySession(ctx.sql, subject);
  try {
    for (const d of spec.datasets) {
      if (d.file) {
        // The cursor takes a connection of its own: the session's goes back first.
        await session.end();
        yield* cursorRecords(d, subject, ctx);
      } else {
        yield { dataset: d.name, parts: await copyParts(d, subject, ctx, session, split) };
      }
    }
  } finally {
    await session.end();
  }
}

async function* cursorRecords(d: DatasetSql, subject: Subject, ctx: AdapterContext): AsyncIterable<CollectedRecord> {
  const sql = selectSql(d, (await tableColumns(ctx.sql, d)).asText);
  const query = ctx.sql.unsafe(bindSubject(sql), params(ctx.sql, subject));
  const batches = query.cursor(CURSOR_BATCH)[Symbol.asyncIterator]();
  // Postgres fetches the next rows while these are turned into records and written. A fetch that fails
  // meanwhile (the store gone) must not reject unobserved until awaited: Node stops the process for that.
  const fetch = () => {
    // postgres.js may answer with a thenable of its own: made a promise to be observed.
    const batch = Promise.resolve(batches.next());
    batch.catch(() => undefined);
    return batch;
  };
  let next = fetch();
  let finished = false;
  try {
    for (;;) {
      const batch = await next;
      if (batch.done) break;
      next = fetch();
      for (const row of batch.value) yield toRecord(d, row);
    }
    finished = true;
  } finally {
    // Stopped early: let the fetch in flight land before closing the cursor, or the connection waits on it.
    if (!finished) {
      await next.catch(() => undefined);
      await batches.return?.();
    }
  }
}

/**
 * The dataset's spool lines as COPY streams them: the one text column of selectSql in CSV with a
 * quote and a delimiter (\x01, \x02) that JSON text never holds raw, so no value is ever quoted and
 * each line is the row's JSON as it is. A small dataset is copied in the session's transaction; a
 * large one goes in two halves split at a key in the middle, each copied by its own backend in its
 * own transaction.
 */
async function copyParts(d: DatasetSql, subject: Subject, ctx: AdapterContext, session: CopySession, splitting: Split): Promise<SerializedPart[]> {
  const tx = await session.tx();
  const columns = await tableColumns(tx, d);
  const copy = (range?: string) =>
    bindSubjectToSettings(`copy (${selectSql(d, columns.asText, range)}) to stdout with (format csv, delimiter E'\\x02', quote E'\\x01')`);
  const sortKey = sortColumns(d, columns.notNull);
  const large = sortKey && (await splitting.tables.rows(tx, d.table)) >= splitting.rows;
  const split = large && (await splitKey(d, sortKey, subject, tx, splitting.rows));
  if (!sortKey || !split) return [session.part(copy())];
  // The halves take two connections of the pool: the session's goes back first.
  await session.end();
  const table = d.row;
  const row = `(${sortKey.map((c) => `${table}.${c}`).join(', ')})`;
  const key = `(select ${sortKey.map((c) => `k.${c}`).join(', ')} from json_populate_record(null::${d.table}, current_setting('dsar.split')::json) as k)`;
  return [copyPart(ctx.sql, copy(`${row} < ${key}`), subject, split), copyPart(ctx.sql, copy(`${row} >= ${key}`), subject, split)];
}

/** A COPY in a read-only transaction of its own, the subject (and the split key) bound in it. */
function copyPart(sql: Sql, copy: string, subject: Subject, split: string): SerializedPart {
  return (consume) =>
    sql.begin('read only', async (tx) => {
      await bindSettings(tx, subject, split);
      await streamCopy(tx, copy, consume);
    });
}

async function bindSettings(tx: Tx, subject: Subject, split: string): Promise<void> {
  await tx.unsafe(SUBJECT_SETTINGS, texts(tx, [subject.tenantId, subject.accountId, split]));
}

async function streamCopy(tx: Tx, copy: string, consume: (lines: Readable) => Promise<void>): Promise<void> {
  const lines = await tx.unsafe(copy).readable();
  try {
    await consume(lines);
  } finally {
    await releaseCopy(lines);
  }
}

interface OpenSession {
  tx: Tx;
  /** Ends the transaction's callback; postgres.js then commits (or rolls back after a failed statement). */
  finish: () => void;
  ended: Promise<unknown>;
}

/**
 * One read-only transaction for a feature's small datasets, the subject bound once: a begin, a
 * set_config and a commit per feature instead of per dataset. Begun at the first dataset that needs
 * it, and ended before the collect needs another connection (a cursor, a large dataset's halves), so
 * a task never holds one connection while it waits for another: any pool size works.
 */
class CopySession {
  private current: Promise<OpenSession> | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly subject: Subject,
  ) {}

  /** The session's transaction, begun on first use. */
  async tx(): Promise<Tx> {
    this.current ??= this.begin();
    return (await this.current).tx;
  }

  /** A part copied in the session; in a transaction of its own if the session ended before the part was taken. */
  part(copy: string): SerializedPart {
    const open = this.current;
    return async (consume) => {
      if (open && open === this.current) await streamCopy((await open).tx, copy, consume);
      else await copyPart(this.sql, copy, this.subject, '')(consume);
    };
  }

  async end(): Promise<void> {
    const open = this.current;
    this.current = undefined;
    const session = await open?.catch(() => undefined);
    if (!session) return;
    session.finish();
    // A failed statement has already failed the part that sent it.
    await session.ended.catch(() => undefined);
  }

  private begin(): Promise<OpenSession> {
    return new Promise((resolve, reject) => {
      let finish!: () => void;
      const finished = new Promise<void>((done) => {
        finish = done;
      });
      const ended = this.sql.begin('read only', async (tx) => {
        await bindSettings(tx, this.subject, '');
        resolve({ tx, finish, ended });
        await finished;
      });
      ended.catch(reject);
    });
  }
}

/**
 * Leaves the COPY's connection usable. A consumer that failed left bytes unread: they are read and
 * dropped, since the transaction can only end after them. And postgres.js pauses its socket when the
 * stream's buffer is full and resumes it only from the stream's `_read`, which Node no longer calls
 * once the stream has ended: ending in that state left the connection waiting for ever
 * (porsager/postgres#499). Resuming a socket that is not paused does nothing.
 */
async function releaseCopy(lines: Readable): Promise<void> {
  if (!lines.readableEnded && !lines.destroyed) {
    lines.removeAllListeners('data');
    lines.resume();
    await finished(lines).catch(() => undefined);
  }
  (lines as Readable & { _read(size: number): void })._read(0);
}

/**
 * The dataset's ORDER BY as columns that can split it: plain column names, ascending, none of them
 * nullable (a row whose key is null would fall in neither half); undefined when it is anything else.
 */
function sortColumns(d: DatasetSql, notNull: ReadonlySet<string>): string[] | undefined {
  return d.sortKey?.every((c) => notNull.has(c)) ? d.sortKey : undefined;
}

/** Whether a dataset may be large enough to split, and the planner's estimates that tell. */
interface Split {
  /** Estimated rows from which a dataset is copied in two halves. */
  rows: number;
  tables: TableSizes;
}

/** How long a table's estimated size is kept: it grows by far less than SPLIT_ROWS in that time. */
const TABLE_ROWS_KEEP_MS = 30_000;

/**
 * The planner's estimate of each table's rows, kept for TABLE_ROWS_KEEP_MS. The planner estimates a
 * subject's rows of a table at no more than the whole table's, so a table below the split spares each
 * dataset of it the explain of the subject's rows (most tables, for most subjects). It scales the
 * table's last statistics by the table's size now, so a table that grew is seen once its estimate
 * is read again. A failed read is not kept.
 */
class TableSizes {
  private readonly kept = new Map<string, { until: number; rows: Promise<number> }>();

  rows(sql: Tx, table: string): Promise<number> {
    const now = Date.now();
    const kept = this.kept.get(table);
    if (kept && kept.until > now) return kept.rows;
    const entry = { until: now + TABLE_ROWS_KEEP_MS, rows: plannedRows(sql, `select 1 from ${table}`, []) };
    this.kept.set(table, entry);
    entry.rows.catch(() => {
      if (this.kept.get(table) === entry) this.kept.delete(table);
    });
    return entry.rows;
  }
}

/** The rows the planner expects a query to return. */
async function plannedRows(sql: Tx, query: string, values: Params): Promise<number> {
  const [explained] = await sql.unsafe(`explain (format json) ${query}`, values);
  const plan = explained?.['QUERY PLAN'] as unknown;
  return Number((typeof plan === 'string' ? JSON.parse(plan) : plan)?.[0]?.Plan?.['Plan Rows'] ?? 0);
}

/**
 * The first row of the dataset's second half, as the JSON of its sort key; none when the planner
 * expects fewer than `splitRows` rows, or the dataset turns out to be smaller than expected.
 */
async function splitKey(d: DatasetSql, sortKey: string[], subject: Subject, sql: Tx, splitRows: number) {
  const from = `from ${d.table} where ${scope(d, d.where)}`;
  const estimate = await plannedRows(sql, bindSubject(`select 1 ${from}`), params(sql, subject));
  if (!(estimate >= splitRows)) return undefined;
  const middle = Math.floor(estimate / 2);
  const [row] = await sql.unsafe(
    bindSubject(`select row_to_json(k)::text as key from (select ${sortKey.join(', ')} ${from} order by ${d.orderBy!.join(', ')} offset ${middle} limit 1) as k`),
    params(sql, subject),
  );
  return row ? String(row.key) : undefined;
}

const FILE_PARTS = ['blobKey', 'name', 'mediaType', 'size', 'sha256'] as const;

/**
 * Each row comes as the text of one JSON object that Postgres builds (row_to_json: the columns in
 * order, compact), handed on as RowJson without being parsed: serializing rows is work Postgres does
 * on its own core while Node writes the previous ones. Timestamps come as ISO 8601 strings, numerics
 * as numbers. The subquery selects and sorts; the outer query only turns each of its rows into JSON,
 * which keeps their order (Postgres reorders a subquery's rows only for a join, grouping or sort).
 */
function selectSql(d: DatasetSql, asText: ReadonlySet<string>, range?: string): string {
  const columns = Object.keys(d.columns);
  // A json or array column stays one value, its JSON text: rows hold scalars only.
  const inner = columns.map((c) => {
    const computed = d.computed[c];
    if (computed) return `${computed} as "${c}"`;
    return asText.has(c) ? `${c}::text as "${c}"` : c;
  });
  if (d.file) inner.push(...FILE_PARTS.map((p) => `${d.file?.[p] ?? 'null'} as "file:${p}"`));
  const order = d.orderBy ? ` order by ${d.orderBy.join(', ')}` : '';
  // Without a file the subquery's row is the row: serialized whole, with no subplan per row (~7 % of Postgres' time).
  const row = d.file
    ? `(select row_to_json(v) from (select ${columns.map((c) => `s.${c}`).join(', ')}) as v)::text as "row"`
    : `row_to_json(s)::text as "row"`;
  const file = d.file
    ? `, case when s."file:blobKey" is null then null else ` +
      `json_build_object(${FILE_PARTS.map((p) => `'${p}', s."file:${p}"`).join(', ')}) end as "file"`
    : '';
  const where = range ? `${scope(d, d.where)} and ${range}` : scope(d, d.where);
  return `select ${row}${file} from (select ${inner.join(', ')} from ${d.table} where ${where}${order}) as s`;
}

interface TableColumns {
  /** Columns whose values are not scalars (json, jsonb, arrays, composites): selected as their text. */
  asText: ReadonlySet<string>;
  notNull: ReadonlySet<string>;
}

/** Column types do not change while the service runs: looked up once per table. */
const tableColumnsCache = new Map<string, Promise<TableColumns>>();

function tableColumns(sql: Sql | Tx, d: DatasetSql): Promise<TableColumns> {
  let columns = tableColumnsCache.get(d.table);
  if (!columns) {
    const [schema, table] = d.table.split('.');
    columns = sql
      .unsafe(`select column_name, data_type, is_nullable from information_schema.columns where table_schema = $1 and table_name = $2`, [
        schema!,
        table!,
      ])
      .then((rows) => ({
        asText: new Set(rows.filter((r) => ['json', 'jsonb', 'ARRAY', 'USER-DEFINED'].includes(String(r.data_type))).map((r) => String(r.column_name))),
        notNull: new Set(rows.filter((r) => r.is_nullable === 'NO').map((r) => String(r.column_name))),
      }));
    // A failed lookup is not remembered: the next collect asks again.
    columns.catch(() => tableColumnsCache.delete(d.table));
    tableColumnsCache.set(d.table, columns);
  }
  return columns;
}

function toRecord(d: DatasetSql, raw: Record<string, unknown>): CollectedRecord {
  const record: CollectedRecord = { dataset: d.name, row: new RowJson(raw.row as string) };
  if (raw.file) record.file = toFileRef(raw.file as Record<string, unknown>);
  return record;
}

function toFileRef(raw: Record<string, unknown>): FileRef {
  const ref: FileRef = {
    blobKey: String(raw.blobKey),
    name: String(raw.name),
    mediaType: String(raw.mediaType),
    size: Number(raw.size),
  };
  if (raw.sha256) ref.sha256 = String(raw.sha256);
  return ref;
}

/** Rows per erasing transaction, unless the context says otherwise (ERASE_BATCH_ROWS). */
export const ERASE_BATCH_ROWS = 5000;

/** How often an erasure waiting for another of the same tenant and feature looks again, and for how long at most. */
const RUN_WAIT_MS = 200;
const RUN_WAIT_LIMIT_MS = 10 * 60_000;

/** Before and after every place a row has: where a run's first batch starts, and where its last ends. */
const FIRST_AT = -1;
const LAST_AT = '9223372036854775807';

/** A row's place in its table (block, offset) as one number that sorts as they do. */
const AT = `((ctid::text::point)[0]::bigint * 65536 + (ctid::text::point)[1]::bigint)`;

/**
 * Decides every dataset's rows first, on the data as it was, and commits the decisions (a run,
 * erasures/runs.ts); then applies them children first, a batch of rows per transaction, so that a
 * row other people use is locked only while its batch is written. A run killed part way and started
 * again goes on with its decisions; the last transaction records the outcome for the request
 * (erasures/records.ts). Blob bytes are removed after the commits.
 */
async function erase(spec: FeatureSql, subject: Subject, ctx: AdapterContext): Promise<ErasureOutcome[]> {
  // Bytes queued by an earlier run that stopped after its commit.
  await removeQueuedBlobs(spec, subject.tenantId, ctx);
  if (ctx.requestId) return eraseInRun(spec, subject, ctx, ctx.requestId);
  // Outside a request nobody takes the run up again if it fails.
  const key = randomUUID();
  try {
    return await eraseInRun(spec, subject, ctx, key);
  } catch (err) {
    await forgetRun(ctx.sql, key, spec.feature).catch(() => undefined);
    throw err;
  }
}

/** The erasure as the run `key` (the request's id): decided, or taken up where it stopped, then erased batch by batch. */
async function eraseInRun(spec: FeatureSql, subject: Subject, ctx: AdapterContext, key: string): Promise<ErasureOutcome[]> {
  const decided = await decide(spec, subject, ctx, key);
  if ('recorded' in decided) return decided.recorded;
  const batchRows = ctx.eraseBatchRows ?? ERASE_BATCH_ROWS;
  for (const d of [...spec.datasets].reverse()) {
    await eraseInBatches(spec, d, subject, ctx, { key, run: decided.run, batchRows, byGroup: decided.byGroup.includes(d.name) });
  }
  const outcomes = await ctx.sql.begin(async (tx) => {
    const run = await startedRun(tx, key, spec.feature, true);
    // Another worker on the same request (a job run twice) ended it first.
    const earlier = run || !ctx.requestId ? undefined : await recordedErasure(tx, ctx.requestId, spec.feature);
    if (earlier) return earlier.outcome;
    if (!run) throw new Error(`the erasure run of ${spec.feature} ended without a record`);
    if (ctx.requestId) await recordErasure(tx, ctx.requestId, spec.feature, run.outcome);
    await endRun(tx, run);
    return run.outcome;
  });
  await removeQueuedBlobs(spec, subject.tenantId, ctx);
  return outcomes;
}

type Decided = { recorded: ErasureOutcome[] } | { run: number; byGroup: string[] };

/**
 * Under the tenant's lock: what a run of this request that committed and then stopped before it
 * could report recorded (the answer, not the nothing that is left now), or the run to go on with, or
 * a new one. An erasure of another subject of the tenant waits until a run under way has ended: its
 * decisions must see the people the other is still sharing with gone.
 */
async function decide(spec: FeatureSql, subject: Subject, ctx: AdapterContext, key: string): Promise<Decided> {
  const giveUpAt = Date.now() + RUN_WAIT_LIMIT_MS;
  for (;;) {
    const decided = await ctx.sql.begin(async (tx): Promise<Decided | undefined> => {
      await lock(tx, spec, subject.tenantId);
      const earlier = ctx.requestId ? await recordedErasure(tx, ctx.requestId, spec.feature) : undefined;
      if (earlier) return { recorded: earlier.outcome };
      const started = await startedRun(tx, key, spec.feature);
      if (started) return { run: started.id, byGroup: started.byGroup };
      if (await otherRunUnderway(tx, key, spec.feature, subject.tenantId)) return undefined;
      const byGroup = spec.datasets.filter((d) => d.erase?.group).map((d) => d.name);
      return { run: await planRun(tx, spec, subject, key, byGroup), byGroup };
    });
    if (decided) return decided;
    if (Date.now() > giveUpAt) throw new Error(`another erasure in ${spec.feature} of the tenant did not end`);
    await setTimeout(RUN_WAIT_MS, undefined, { signal: ctx.signal });
  }
}

/**
 * One erasure or purge per feature and tenant at a time: two people erased together from the same
 * chat must not each keep it for the other.
 */
async function lock(tx: Tx, spec: FeatureSql, tenantId: string): Promise<void> {
  await tx.unsafe('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`erase:${spec.feature}:${tenantId}`]);
}

async function planRun(tx: Tx, spec: FeatureSql, subject: Subject, key: string, byGroup: string[]): Promise<number> {
  const run = await createRun(tx, key, spec.feature, subject.tenantId, byGroup);
  const outcomes: ErasureOutcome[] = [];
  for (const d of spec.datasets) outcomes.push(startingOutcome(await plan(tx, d, subject, run)));
  await setOutcome(tx, run, outcomes);
  return run;
}

interface Plan {
  dataset: DatasetSql;
  shared: number;
  /** Rows of shared groups no batch writes (a dataset erased by group). */
  kept: number;
  others: number;
  retained: Retained;
  recipients?: ReachedRecipient;
}

interface Retained {
  count: number;
  /** The end of the newest retained row's period, as a date. */
  until: string | null;
}

/** $1 tenant, $2 account, $3 dataset, $4 run. */
function runParams(tx: Sql | Tx, subject: Subject, d: DatasetSql, run: number, ...more: string[]) {
  return texts(tx, [subject.tenantId, subject.accountId, d.name, String(run), ...more]);
}

async function plan(tx: Tx, d: DatasetSql, subject: Subject, run: number): Promise<Plan> {
  const where = scope(d, d.erase?.where ?? d.where);
  const erasable = d.retention ? `${where} and not ${withinPeriod(d.retention, 'now()')}` : where;
  const [counts] = await tx.unsafe(bindSubject(d.erase?.group ? planGroups(d, erasable) : planRows(d, erasable)), runParams(tx, subject, d, run));
  return {
    dataset: d,
    shared: Number(counts?.shared ?? 0),
    kept: Number(counts?.kept ?? 0),
    others: await countOthers(tx, d, subject, run),
    retained: await restrictRetained(tx, d, subject, where),
    ...(await reachedRecipients(tx, d, subject)),
  };
}

function sharedSql(d: DatasetSql): string {
  return d.erase?.sharedWith ? `exists (${othersOf(d.erase.sharedWith)})` : 'false';
}

/** A planned row per erasable row, with its decision; how many are shared. */
function planRows(d: DatasetSql, erasable: string): string {
  return (
    `with planned as (insert into erasures.planned_rows (run, dataset, at, id, shared) ` +
    `select $4::bigint, $3, ${AT}, ${d.row}.id, ${sharedSql(d)} from ${d.table} where ${erasable} returning shared) ` +
    `select count(*) filter (where shared)::int as shared from planned`
  );
}

/**
 * A planned row per group of erasable rows (its value as the id, its ordinal as the place), with the
 * group's decision; how many groups are shared, and how many of their rows are kept as they are (no
 * `anonymize` column holds the subject): those no batch writes, so they are counted here.
 */
function planGroups(d: DatasetSql, erasable: string): string {
  const group = d.erase!.group!;
  // The groups are named as the dataset's row, so that `sharedWith` reads its group column from them.
  return (
    `with grouped as (select ${group}, count(*) filter (where not ${holdsSubject(d)}) as unheld from ${d.table} where ${erasable} group by 1), ` +
    `decided as (select row_number() over (order by ${d.row}.${group}) as at, ${d.row}.${group} as id, ${sharedSql(d)} as shared, unheld ` +
    `from grouped as ${d.row}), ` +
    `planned as (insert into erasures.planned_rows (run, dataset, at, id, shared) select $4::bigint, $3, at, id, shared from decided) ` +
    `select count(*) filter (where shared)::int as shared, coalesce(sum(unheld) filter (where shared), 0)::int as kept from decided`
  );
}

/** Whether one of the row's `anonymize` columns holds the subject ($2). */
function holdsSubject(d: DatasetSql): string {
  const columns = d.erase?.anonymize ?? [];
  return columns.length === 0 ? 'false' : `(${columns.map((c) => `${d.row}.${c} = $2`).join(' or ')})`;
}

/** Read before the rows go: the recipients the subject's rows show their data went to. */
async function reachedRecipients(tx: Tx, d: DatasetSql, subject: Subject): Promise<{ recipients?: ReachedRecipient }> {
  if (!d.recipients) return {};
  const { recipient, named } = d.recipients;
  const from = `from ${d.table} where ${scope(d, d.where)}`;
  if (named === undefined) {
    const [row] = await tx.unsafe(bindSubject(`select exists (select 1 ${from}) as reached`), params(tx, subject, d.name));
    return row?.reached ? { recipients: { recipient, named: [] } } : {};
  }
  const rows = await tx.unsafe(bindSubject(`select distinct ${named}::text as name ${from} order by 1`), params(tx, subject, d.name));
  return rows.length > 0 ? { recipients: { recipient, named: rows.map((r) => String(r.name)) } } : {};
}

/** Rows still inside their retention period at `now` (an SQL expression). */
function withinPeriod(r: RetentionSql, now: string): string {
  return `(${r.since} > ${now} - make_interval(days => ${r.days}))`;
}

/**
 * Marks the rows the law makes the feature keep as restricted to that purpose, each until the end of
 * its own period (GDPR Art. 18(2)): from now on every result shows them so. Counts them for the receipt.
 */
async function restrictRetained(tx: Tx, d: DatasetSql, subject: Subject, where: string): Promise<Retained> {
  if (!d.retention) return { count: 0, until: null };
  const { since, days, restricted } = d.retention;
  const [row] = await tx.unsafe(
    bindSubject(
      `with marked as (update ${d.table} set ${restricted} = ((${since} + make_interval(days => ${days})) at time zone 'UTC')::date ` +
        `where ${where} and ${withinPeriod(d.retention, 'now()')} returning ${restricted} as until) ` +
        `select count(*)::int as n, to_char(max(until), 'YYYY-MM-DD') as until from marked`,
    ),
    params(tx, subject, d.name),
  );
  return { count: Number(row?.n ?? 0), until: (row?.until as string | null) ?? null };
}

function othersOf(sharedWith: string): string {
  return `select s.account_id from (${sharedWith}) as s(account_id) where s.account_id <> :account`;
}

/** How many other people the shared rows are kept for, to say so in the note. */
async function countOthers(tx: Tx, d: DatasetSql, subject: Subject, run: number): Promise<number> {
  if (!d.erase?.sharedWith) return 0;
  const shared = 'p.run = $4::bigint and p.dataset = $3 and p.shared';
  // A planned group stands for its rows as in planGroups.
  const rows = d.erase.group
    ? `(select p.id as ${d.erase.group} from erasures.planned_rows p where ${shared}) as ${d.row}`
    : `erasures.planned_rows p join ${d.table} on ${d.row}.id = p.id and ${shared}`;
  const [row] = await tx.unsafe(
    bindSubject(`select count(distinct o.account_id)::int as n from ${rows} cross join lateral (${othersOf(d.erase.sharedWith)}) as o`),
    runParams(tx, subject, d, run),
  );
  return Number(row?.n ?? 0);
}

/** The dataset's outcome before its batches: everything but the counts, which they add. */
function startingOutcome(p: Plan): ErasureOutcome {
  const d = p.dataset;
  const outcome: ErasureOutcome = { dataset: d.name, deleted: 0, anonymized: 0, kept: p.kept, items: itemsOf(d), identityItems: identityItemsOf(d) };
  if (p.shared > 0 && d.erase?.note) outcome.note = d.erase.note.replaceAll('{others}', others(p.others));
  if (p.recipients) outcome.recipients = p.recipients;
  if (d.retention) {
    outcome.retained = p.retained.count;
    outcome.restricted = true;
    if (p.retained.until) Object.assign(outcome, { retainedUntil: p.retained.until, retentionReason: d.retention.reason });
  }
  return outcome;
}

interface RunOf {
  key: string;
  run: number;
  batchRows: number;
  /** The run planned this dataset by group (its runs row says so). */
  byGroup: boolean;
}

/** A batch's statement, and what its one row says: rows taken, whether they were counted, whether the dataset is done. */
interface BatchStatement {
  text: string;
  values: Params;
  read(row: postgres.Row | undefined): { taken: number; counted: number; ended: boolean; last: number };
}

/**
 * The dataset's planned rows or groups, a batch per transaction, each committed with the counts it adds
 * to the run. The batches have a connection of their own, so that none waits for the pool behind other
 * requests' queries, and a batch costs one round trip: its begin and statement go with the commit of the
 * one before, sent once that one's result is checked (so its rows are locked no longer than before).
 */
async function eraseInBatches(spec: FeatureSql, d: DatasetSql, subject: Subject, ctx: AdapterContext, of: RunOf): Promise<void> {
  if (of.byGroup && !d.erase?.group) throw new Error(`${spec.feature}.${d.name}: planned by a group its description no longer has`);
  const connection = await ctx.sql.reserve();
  try {
    let after = FIRST_AT;
    let open = false;
    for (;;) {
      // An abandoned attempt stops here; the batch still open rolls back, for the next attempt to take.
      ctx.signal?.throwIfAborted();
      const batch = of.byGroup ? groupBatch(connection, spec, d, subject, of) : rowBatch(connection, spec, d, subject, of, after);
      const [, , rows] = await Promise.all([
        open ? connection`commit` : undefined,
        connection`begin`,
        connection.unsafe(batch.text, batch.values, { prepare: true }),
      ]);
      open = true;
      const done = batch.read(rows[0]);
      // Rolled back: rows erased must be counted in the run, or the receipt would not account for them.
      if (done.taken > 0 && done.counted !== 1) throw new Error(`the erasure run of ${spec.feature} has no ${d.name}`);
      if (done.ended) break;
      after = done.last;
    }
    await connection`commit`;
  } catch (err) {
    // Whichever batch was open (a commit that failed has ended its own; the next one's begin may have run).
    await connection`rollback`.catch(() => undefined);
    throw err;
  } finally {
    connection.release();
  }
}

/**
 * Takes the next planned rows of the dataset (by place, after `after`) off the plan and erases them:
 * those nobody else has are deleted, their blob keys queued; from the shared ones each `anonymize`
 * column holding the subject becomes null, and the others are kept as they are. Only the batch's own
 * rows are locked, and only until it commits. The same statement adds the counts to the run.
 */
function rowBatch(sql: Sql, spec: FeatureSql, d: DatasetSql, subject: Subject, of: RunOf, after: number): BatchStatement {
  // A range of the plan's key, bounded by its batchRows-th place: one index range scan, no join to plan badly.
  const planned = 'erasures.planned_rows where run = $4::bigint and dataset = $3 and at > $5::bigint';
  const taken =
    `taken as (delete from ${planned} and at <= coalesce((select at from ${planned} order by at offset ${of.batchRows - 1} limit 1), ` +
    `${LAST_AT}) returning at, id, shared)`;
  const counting = countInRun('(select count(*) from taken)', {
    deleted: '(select count(*) from gone)',
    anonymized: '(select count(*) from cleared)',
    kept: '((select count(*) filter (where shared) from taken) - (select count(*) from cleared))',
  });
  return {
    text:
      `with ${taken}, ${writeCtes(spec, d, byId)}, ${counting} select count(*)::int as taken, max(at) as last, ` +
      `(select count(*)::int from counted) as counted from taken`,
    values: runParams(sql, subject, d, of.run, String(after)),
    read: (row) => {
      const taken = Number(row?.taken ?? 0);
      return { taken, counted: Number(row?.counted ?? 0), ended: taken === 0, last: Number(row?.last ?? FIRST_AT) };
    },
  };
}

/**
 * A dataset erased by group: takes up to batchRows rows the next planned groups still have to erase
 * (`where`, and in a shared group only rows an `anonymize` column of which holds the subject) and
 * deletes or clears them as rowBatch does. A row written is no longer taken, so each batch finds the
 * rest; one that finds fewer than batchRows has erased these groups to the end and takes them off the plan.
 */
function groupBatch(sql: Sql, spec: FeatureSql, d: DatasetSql, subject: Subject, of: RunOf): BatchStatement {
  const n = of.batchRows;
  const plannedGroups =
    `planned_group as (select at as group_at, id as group_id, shared as group_shared from erasures.planned_rows ` +
    `where run = $4::bigint and dataset = $3 order by at limit ${n})`;
  const taken =
    `taken as (select ${d.row}.ctid as row_at, planned_group.group_shared as shared from ${d.table} join planned_group on ${d.row}.${d.erase!.group} = planned_group.group_id ` +
    `where ${scope(d, d.erase?.where ?? d.where)} and (not planned_group.group_shared or ${holdsSubject(d)}) limit ${n})`;
  // The rows by the place taken found them at: a TID scan, where `id in` joins by scanning the table (a
  // row updated meanwhile is not at that place any more: left to the next batch, which finds it again).
  const byPlace = (shared: boolean) => `ctid = any(array(select row_at from taken where ${shared ? '' : 'not '}shared))`;
  // The groups are done when this batch found fewer rows than it could take and wrote every one.
  const finished =
    `finished as (delete from erasures.planned_rows where run = $4::bigint and dataset = $3 ` +
    `and at <= (select max(group_at) from planned_group) and (select count(*) from taken) < ${n} ` +
    `and (select count(*) from taken) = (select count(*) from gone) + (select count(*) from cleared) returning 1)`;
  const counting = countInRun('(select count(*) from taken)', {
    deleted: '(select count(*) from gone)',
    anonymized: '(select count(*) from cleared)',
    kept: '0',
  });
  return {
    text: bindSubject(
      `with ${plannedGroups}, ${taken}, ${writeCtes(spec, d, byPlace)}, ${finished}, ${counting} select (select count(*)::int from taken) as taken, ` +
        `(select count(*)::int from planned_group) as groups, (select count(*)::int from finished) as finished, ` +
        `(select count(*)::int from counted) as counted`,
    ),
    values: runParams(sql, subject, d, of.run),
    read: (row) => {
      // Every group left was in this batch, and is done: so is the plan of the dataset.
      const groups = Number(row?.groups ?? 0);
      const ended = groups < n && Number(row?.finished ?? 0) === groups;
      return { taken: Number(row?.taken ?? 0), counted: Number(row?.counted ?? 0), ended, last: FIRST_AT };
    },
  };
}

/** The rows of `taken` (id, shared) that are shared, or not. */
function byId(shared: boolean): string {
  return `id in (select id from taken where ${shared ? '' : 'not '}shared)`;
}

/** `gone` and `cleared`: the rows of `taken` (`rows` says which, shared or not) deleted, or cleared of the subject. */
function writeCtes(spec: FeatureSql, d: DatasetSql, rows: (shared: boolean) => string): string {
  const deleted = deletionCtes(spec, d, rows(false));
  const columns = d.erase?.anonymize ?? [];
  const cleared =
    columns.length === 0
      ? 'cleared as (select 1 where false)'
      : `cleared as (update ${d.table} set ${columns.map((c) => `${c} = case when ${c} = $2 then null else ${c} end`).join(', ')} ` +
        `where ${rows(true)} and ${holdsSubject(d)} returning 1)`;
  return `${deleted}, ${cleared}`;
}

/**
 * `gone`: the rows of `d` matching `condition` ($1 is the tenant), deleted, their blob keys queued
 * in the same statement.
 */
function deletionCtes(spec: FeatureSql, d: DatasetSql, condition: string): string {
  return d.file
    ? `gone as (delete from ${d.table} where ${condition} returning ${d.file.blobKey} as blob_key), ` +
        `queued as (insert into ${spec.blobDeletions} (blob_key, tenant_id) select blob_key, $1 from gone ` +
        `where blob_key is not null on conflict do nothing)`
    : `gone as (delete from ${d.table} where ${condition} returning 1)`;
}

/** Deletes the rows matching `condition` ($1 is the tenant), queueing their blob keys in the same transaction. */
async function deleteWhere(tx: Tx, spec: FeatureSql, d: DatasetSql, condition: string, values: Params): Promise<number> {
  const [row] = await tx.unsafe(`with ${deletionCtes(spec, d, condition)} select count(*)::int as n from gone`, values);
  return Number(row?.n ?? 0);
}

/**
 * Storage limitation, for every person of the tenant: erases retained rows whose period ended by
 * `now` and rows beyond the latest a dataset keeps. Children first, like an erasure.
 */
async function purgeExpired(spec: FeatureSql, tenantId: string, ctx: AdapterContext, now: Date): Promise<number> {
  const scoped = (condition: string) => `tenant_id = $1 and ${condition}`;
  const purged = await ctx.sql.begin(async (tx) => {
    await lock(tx, spec, tenantId);
    // $1 tenant, $2 the time the periods are measured at.
    const values = texts(tx, [tenantId, now.toISOString()]);
    let n = 0;
    for (const d of [...spec.datasets].reverse()) {
      if (d.retention) n += await deleteWhere(tx, spec, d, scoped(`not ${withinPeriod(d.retention, '$2::timestamptz')}`), values);
      if (d.keepLatest) n += await deleteWhere(tx, spec, d, scoped(beyondLatest(d, d.keepLatest)), values);
    }
    return n;
  });
  await removeQueuedBlobs(spec, tenantId, ctx);
  return purged;
}

/** Rows older than the latest `count` of their person. */
function beyondLatest(d: DatasetSql, k: NonNullable<DatasetSql['keepLatest']>): string {
  const ranked =
    `select id, row_number() over (partition by ${k.per} order by ${k.by} desc, id desc) as n ` +
    `from ${d.table} where tenant_id = $1`;
  return `id in (select id from (${ranked}) as ranked where ranked.n > ${k.count})`;
}

/**
 * Deletes the bytes of deleted rows, then their queue entries. Reads in batches rather than through
 * a cursor so that a pool of one connection still works.
 */
async function removeQueuedBlobs(spec: FeatureSql, tenantId: string, ctx: AdapterContext): Promise<void> {
  if (!spec.blobDeletions) return;
  for (;;) {
    const rows = await ctx.sql.unsafe(`select blob_key from ${spec.blobDeletions} where tenant_id = $1 limit ${BATCH}`, [tenantId]);
    if (rows.length === 0) return;
    const keys = rows.map((r) => String(r.blob_key));
    for (const key of keys) await ctx.blobs.delete(key);
    await ctx.sql.unsafe(`delete from ${spec.blobDeletions} where blob_key = any($1)`, [keys]);
  }
}
