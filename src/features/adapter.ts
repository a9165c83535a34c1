import type { Readable } from 'node:stream';
import Type, { type Static } from 'typebox';
import type { Logger } from 'pino';
import type { Sql } from '../db/client.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { FeatureId } from '../catalogue/schema.js';

/**
 * The one small interface every feature adapter implements, in the spirit of WordPress's
 * privacy exporters and erasers: find, stream out, erase. Adapters hold feature specifics;
 * the worker only orchestrates and the result assembler only formats.
 */

export interface Subject {
  tenantId: string;
  accountId: string;
}

export interface AdapterContext {
  /** This feature's own database connection (defaults to the main database). */
  sql: Sql;
  /** Where this feature's file bytes live (drive files, images, voice, face images). */
  blobs: BlobStore;
  log: Logger;
  /** The request being answered, for adapters that pass it on (the HTTP connector, for idempotent erasure). */
  requestId?: string;
  /**
   * The tenant's policy on other people's data in shared spaces, set for every task of a request.
   * Without it (an adapter used outside a result) a feature gives the subject's own rows as stored.
   */
  policy?: { sharedData: 'own_only' | 'pseudonymized' };
  /** Rows an erasure changes per transaction (ERASE_BATCH_ROWS); unset, the adapter's own default. */
  eraseBatchRows?: number;
  /**
   * Aborted when the attempt has failed (its time is up): work still under way stops at its next
   * batch, so nothing it does lands after the task has ended or beside the next attempt.
   */
  signal?: AbortSignal;
}

/**
 * Rows kept for a legal obligation (GDPR Art. 17(3)(b)) instead of being erased on request;
 * each is erased when its period ends, by the scheduled purge.
 */
export const RetentionRule = Type.Object({
  /** How long a row is kept, counted from its own timestamp. */
  days: Type.Number(),
  /** Why, in words the subject can read, naming the obligation. */
  reason: Type.String(),
});
export type RetentionRule = Static<typeof RetentionRule>;

/**
 * A catalogue recipient (Recipient.id of this feature) that the subject's data went to when they have
 * rows in a dataset: the Alipay account they bound, the applets they authorized. `named` says which
 * column names the one it went to (an applet), for recipients that are many.
 */
export const RecipientRule = Type.Object({
  recipient: Type.String(),
  named: Type.Optional(Type.String()),
});
export type RecipientRule = Static<typeof RecipientRule>;

/**
 * What a column's values are in a row's JSON, for the export's schema of a dataset: a JSON type, or a
 * string of a date-time (RFC 3339) or a date. Any value may also be null.
 */
export const ColumnType = Type.Union([
  Type.Literal('string'),
  Type.Literal('integer'),
  Type.Literal('number'),
  Type.Literal('boolean'),
  Type.Literal('date-time'),
  Type.Literal('date'),
]);
export type ColumnType = Static<typeof ColumnType>;

/**
 * A table (or view) of the feature as the subject sees it in a result. A task records the ones its
 * adapter described (the tasks' `datasets` column), and results are laid out from that record.
 */
export const DatasetDescription = Type.Object({
  /** Stable name, used as file name in exports: `messages`, `events`, `files` ... */
  name: Type.String(),
  /** Human title for reports: "Messages". */
  title: Type.String(),
  /** Columns in output order. */
  columns: Type.Array(Type.String()),
  /** Which catalogue data item (DataItem.id of this feature) each column carries. */
  items: Type.Record(Type.String(), Type.String()),
  /** What each column's values are, where the store knows it (a column without one may hold any scalar). */
  types: Type.Optional(Type.Record(Type.String(), ColumnType)),
  /** Set when the law makes the feature keep these rows past a deletion request. */
  retention: Type.Optional(RetentionRule),
  /** The subject's rows here mean their data went to this recipient (RecipientRule). */
  recipients: Type.Optional(RecipientRule),
});
export type DatasetDescription = Static<typeof DatasetDescription>;

/** The recipients a subject's rows in a dataset named, found before they were erased (for the receipt, GDPR Art. 19). */
export const ReachedRecipient = Type.Object({
  recipient: Type.String(),
  /** Which ones, when the rule names them (applet names: never personal data). */
  named: Type.Array(Type.String()),
});
export type ReachedRecipient = Static<typeof ReachedRecipient>;

/** A file that belongs to a collected row; its bytes stay in the feature's blob store (or see workFile). */
export interface FileRef {
  blobKey: string;
  /** File name as the user knows it (sanitized when put into an archive). */
  name: string;
  mediaType: string;
  size: number;
  /**
   * SHA-256 of the blob's bytes (hex), as the feature recorded it when it stored them. An archive's
   * manifest takes it for a file found at its recorded size, without hashing the file again.
   */
  sha256?: string;
  /**
   * The bytes lie in the results store under the request's work prefix (a manual task's upload),
   * not in the feature's blob store.
   */
  workFile?: boolean;
}

/** A row's values: JSON-safe only, strings, numbers, booleans, null (timestamps as ISO strings). */
export type Row = Record<string, string | number | boolean | null>;

/**
 * A row its store has serialized already: a JSON object's text, as Postgres builds it for the
 * declarative adapters. It goes into the partial as it is; only a step that needs the values
 * (pseudonymization) parses it, which saves a parse and a serialization per row.
 */
export class RowJson {
  constructor(readonly text: string) {}

  /** JSON.stringify of a record writes the row, not this wrapper. */
  toJSON(): Row {
    return JSON.parse(this.text) as Row;
  }
}

export interface CollectedRecord {
  dataset: string;
  row: Row | RowJson;
  file?: FileRef;
}

/**
 * A dataset whose rows the store serializes itself into spool lines: each row's JSON object (as
 * RowJson holds it) and a LF, nothing else, for a dataset without files. The parts follow one
 * another in row order; whoever takes them reads all parts at once, so a store can serialize them
 * side by side (two Postgres backends for one subject's million messages).
 */
export interface SerializedRows {
  dataset: string;
  parts: SerializedPart[];
}

/** Hands the part's bytes to `consume`; settles once they are consumed and the store is done with them. */
export type SerializedPart = (consume: (lines: Readable) => Promise<void>) => Promise<void>;

/** What a feature's fastest collect yields: single records, and whole datasets its store serialized. */
export type Collected = CollectedRecord | SerializedRows;

export function isSerializedRows(item: Collected): item is SerializedRows {
  return 'parts' in item;
}

/** A record's values, parsing a serialized row. */
export function rowValues(record: CollectedRecord): Row {
  return record.row instanceof RowJson ? record.row.toJSON() : record.row;
}

export const ErasureOutcome = Type.Object({
  dataset: Type.String(),
  deleted: Type.Number(),
  anonymized: Type.Number(),
  /** Kept because other people share them (with the subject's authorship removed where possible). */
  kept: Type.Number(),
  /** Kept for a legal obligation until `retainedUntil` (the last retained row's end of period, ISO date). */
  retained: Type.Optional(Type.Number()),
  retainedUntil: Type.Optional(Type.String()),
  retentionReason: Type.Optional(Type.String()),
  /** The retained rows are marked restricted to the legal purpose in the feature's store. */
  restricted: Type.Optional(Type.Boolean()),
  /** Catalogue item ids this dataset carries. */
  items: Type.Array(Type.String()),
  /**
   * Of `items`, those a shared row (anonymized or kept) no longer holds of the subject: their identity.
   * The others stay with the rows' content, so the receipt says they were kept, not anonymized.
   * Absent (an external feature's report), every item of an anonymized row counts as anonymized.
   */
  identityItems: Type.Optional(Type.Array(Type.String())),
  /** Why something was anonymized or kept, in words the subject can read. */
  note: Type.Optional(Type.String()),
  /** The recipient the erased (or retained) rows show the subject's data went to (DatasetDescription.recipients). */
  recipients: Type.Optional(ReachedRecipient),
});
export type ErasureOutcome = Static<typeof ErasureOutcome>;

/**
 * One change a correction asks of a feature, read from the request record when the task runs (the
 * value never travels in a queue job): the catalogue item and the value it should have.
 */
export interface CorrectionChange {
  id: string;
  item: string;
  value: string;
}

/** What became of one change: made (with what the store held before), or refused with a reason the subject reads. */
export type CorrectionResult =
  | { id: string; outcome: 'corrected'; oldValue: string | null }
  | { id: string; outcome: 'refused'; reason: string };

export interface FeatureAdapter {
  readonly feature: FeatureId;
  readonly datasets: DatasetDescription[];
  /**
   * For adapters that learn their datasets at run time (an external feature service);
   * the task records what it returns, and results are laid out from that.
   */
  describe?(ctx: AdapterContext): Promise<DatasetDescription[]>;
  /** Count the subject's rows per dataset, without reading them. */
  locate(subject: Subject, ctx: AdapterContext): Promise<Record<string, number>>;
  /** Stream the subject's rows dataset by dataset; never holds a whole subject in memory. */
  collect(subject: Subject, ctx: AdapterContext): AsyncIterable<CollectedRecord>;
  /**
   * `collect`, with the datasets the store can serialize itself given whole as SerializedRows: the
   * same rows in the same order, without a record per row. What a feature task uses when present.
   */
  collectSerialized?(subject: Subject, ctx: AdapterContext): AsyncIterable<Collected>;
  /**
   * Erase the subject's data; shared data is handled so other people keep what is theirs.
   * Must be idempotent: a retried job runs it again on what is left.
   */
  erase(subject: Subject, ctx: AdapterContext): Promise<ErasureOutcome[]>;
  /**
   * Correct the subject's profile items (after an agent approved the correction), answering every
   * change given. A feature without it has its corrections made by hand (a manual task for its owner).
   */
  correct?(subject: Subject, changes: CorrectionChange[], ctx: AdapterContext): Promise<CorrectionResult[]>;
  /** Erase retained rows of every subject of `tenantId` whose retention period has ended; returns rows erased. */
  purgeExpired?(tenantId: string, ctx: AdapterContext, now: Date): Promise<number>;
}

/** The fastest collect an adapter has: what a feature task writes into its partial. */
export function collectForPartial(adapter: FeatureAdapter, subject: Subject, ctx: AdapterContext): AsyncIterable<Collected> {
  const collected = adapter.collectSerialized ? adapter.collectSerialized(subject, ctx) : adapter.collect(subject, ctx);
  return ctx.signal ? untilAborted(collected, ctx.signal) : collected;
}

/** The items, failing at the first one asked for once `signal` is aborted, and at the end: no partial of an abandoned attempt is committed. */
async function* untilAborted<T>(items: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
  for await (const item of items) {
    signal.throwIfAborted();
    yield item;
  }
  signal.throwIfAborted();
}
