import type { Sql } from '../db/client.js';
import {
  collectForPartial,
  rowValues,
  type AdapterContext,
  type Collected,
  type CollectedRecord,
  type ColumnType,
  type DatasetDescription,
  type FeatureAdapter,
  type Row,
  type Subject,
} from './adapter.js';
import { bindSubject } from './sql-text.js';
import { count, others } from './words.js';

/**
 * Other people's data in shared spaces (chats, meetings, calendar events, shared files), per the
 * tenant's policy: `own_only` gives the subject their own content, `pseudonymized` whole spaces with
 * everyone else renamed "Participant N". Whatever is left out or renamed is listed in a `redactions`
 * dataset with its reason (GDPR Art. 15(4)), so every result format carries it.
 */

export type SharedDataPolicy = 'own_only' | 'pseudonymized';
type Action = 'left_out' | 'pseudonymized';

/** The redactions' columns, in output order, with what their values are. */
const REDACTION_TYPES: Record<string, ColumnType> = {
  dataset: 'string',
  space: 'string',
  what: 'string',
  count: 'integer',
  people: 'integer',
  action: 'string',
  summary: 'string',
  reason: 'string',
};

export const REDACTIONS_DATASET: DatasetDescription = {
  name: 'redactions',
  title: 'Left out or pseudonymized to protect other people',
  columns: Object.keys(REDACTION_TYPES),
  items: {},
  types: REDACTION_TYPES,
};

const ART_15_4 = 'GDPR Art. 15(4): your copy must not adversely affect the rights and freedoms of others.';

export const REASONS = {
  ownOnly: `They are other people's personal data, and your organization gives you your own content only. ${ART_15_4}`,
  pseudonymized: `Shown so that you can follow the whole conversation, with everyone else replaced by a pseudonym. ${ART_15_4}`,
  names: `Who they are is other people's personal data. ${ART_15_4}`,
  files: `Files other people sent are their content; only how many there are is listed. ${ART_15_4}`,
  profiles: `Other participants' names and contact details are their personal data. ${ART_15_4}`,
};

/** What a summary sentence is built from; `spaces` is already words ("in 3 conversations", "in this conversation"). */
export interface Counts {
  count: number;
  people: number;
  spaces: string;
}

/** A column naming a person, and the column naming the shared space its row belongs to. */
export interface PeopleColumn {
  dataset: string;
  column: string;
  /** Columns naming the space; the first that is set counts (a permission is on a file or a folder). */
  space: string[];
  /** Who the column names, plural: "message senders". */
  what: string;
}

/** Rows of others the result leaves out, listed by a query. */
export interface LeftOut {
  dataset: string;
  policies: SharedDataPolicy[];
  what: string;
  /**
   * One row per left-out row or group of rows: `space`, `person` (null when unknown), `n`. Names the
   * subject only as `:account` and the tenant as `:tenant`.
   */
  query: string;
  summary: (c: Counts) => string;
  reason: string;
}

export interface SharedDataSpec {
  /** The subject's own data: the result under own_only, and what locate, erase and purge work on. */
  own: FeatureAdapter;
  /** The same datasets over whole shared spaces, the result under pseudonymized; `own` when the feature has no more to show. */
  whole?: FeatureAdapter;
  /** The feature's shared space, singular and plural: conversation, conversations. */
  space: [string, string];
  people: PeopleColumn[];
  leftOut: LeftOut[];
}

/**
 * `datasets` stay the store's (what locate and erase count); a result, built with a policy, is
 * described with the redactions too. Without a policy (the adapter used outside a result) collect
 * gives the subject's own rows as stored and lists nothing.
 */
export function withSharedData(spec: SharedDataSpec): FeatureAdapter {
  return {
    ...spec.own,
    describe: async (ctx) => (ctx.policy ? [...spec.own.datasets, REDACTIONS_DATASET] : spec.own.datasets),
    collect: (subject, ctx) => (ctx.policy ? collect(spec, ctx.policy.sharedData, subject, ctx) : spec.own.collect(subject, ctx)),
    collectSerialized: (subject, ctx) => collectSerialized(spec, subject, ctx),
  };
}

async function* collect(
  spec: SharedDataSpec,
  policy: SharedDataPolicy,
  subject: Subject,
  ctx: AdapterContext,
): AsyncIterable<CollectedRecord> {
  const source = policy === 'pseudonymized' ? (spec.whole ?? spec.own) : spec.own;
  const names = policy === 'pseudonymized' ? await pseudonymsFor(spec, source, subject, ctx) : undefined;
  const tally = new Tally(spec.space);
  for await (const record of source.collect(subject, ctx)) yield names ? rename(spec, record, subject, names, tally) : record;
  yield* leftOutRecords(spec, policy, subject, ctx, tally);
}

/**
 * Rows go through as the store serialized them where nobody is renamed (own_only, or no policy);
 * pseudonymization needs each row's values, so it collects record by record.
 */
async function* collectSerialized(spec: SharedDataSpec, subject: Subject, ctx: AdapterContext): AsyncIterable<Collected> {
  const policy = ctx.policy?.sharedData;
  if (policy === 'pseudonymized') return yield* collect(spec, policy, subject, ctx);
  yield* collectForPartial(spec.own, subject, ctx);
  if (policy) yield* leftOutRecords(spec, policy, subject, ctx, new Tally(spec.space));
}

async function* leftOutRecords(spec: SharedDataSpec, policy: SharedDataPolicy, subject: Subject, ctx: AdapterContext, tally: Tally) {
  for (const leftOut of spec.leftOut.filter((l) => l.policies.includes(policy))) {
    await countLeftOut(ctx.sql, leftOut, subject, tally);
  }
  yield* tally.records();
}

/**
 * Numbers the other people a first reading of the result meets, before the second reading renames
 * them: asking Postgres for a number while a cursor streams the rows would need a second connection.
 */
async function pseudonymsFor(spec: SharedDataSpec, source: FeatureAdapter, subject: Subject, ctx: AdapterContext) {
  const others = new Set<string>();
  for await (const record of source.collect(subject, ctx)) {
    const columns = peopleOf(spec, record.dataset);
    if (columns.length === 0) continue;
    const row = rowValues(record);
    for (const p of columns) {
      const value = row[p.column];
      if (typeof value === 'string' && value !== subject.accountId) others.add(value);
    }
  }
  return numberPeople(ctx, [...others]);
}

/** Numbers from 2 (the subject is participant 1), shared by every feature of the request's result. */
async function numberPeople(ctx: AdapterContext, accounts: string[]): Promise<Map<string, string>> {
  const { requestId } = ctx;
  if (!requestId) return new Map(accounts.map((a, i) => [a, `Participant ${i + 2}`]));
  const numbers = await ctx.sql.begin(async (tx) => {
    // Features run as parallel jobs: one numbers its people at a time, so numbers stay unique.
    await tx.unsafe('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`pseudonyms:${requestId}`]);
    for (const account of accounts) {
      await tx.unsafe(
        'insert into pseudonyms.participants (request_id, account_id, number) ' +
          'select $1, $2, coalesce(max(number), 1) + 1 from pseudonyms.participants where request_id = $1 ' +
          'on conflict (request_id, account_id) do nothing',
        [requestId, account],
      );
    }
    return tx.unsafe('select account_id, number from pseudonyms.participants where request_id = $1 and account_id = any($2)', [
      requestId,
      accounts,
    ]);
  });
  return new Map(numbers.map((r) => [String(r.account_id), `Participant ${Number(r.number)}`]));
}

function peopleOf(spec: SharedDataSpec, dataset: string): PeopleColumn[] {
  return spec.people.filter((p) => p.dataset === dataset);
}

/**
 * Replaces every other person the record names by their pseudonym. Under own_only a row is the
 * subject's own and names others as it always did (who organized the event they attend, who they
 * shared their file with).
 */
function rename(spec: SharedDataSpec, record: CollectedRecord, subject: Subject, names: Map<string, string>, tally: Tally) {
  const columns = peopleOf(spec, record.dataset);
  if (columns.length === 0) return record;
  const row: Row = { ...rowValues(record) };
  for (const p of columns) {
    const value = row[p.column];
    if (typeof value !== 'string' || value === subject.accountId) continue;
    // Every name met was numbered in the first reading; null is only a safeguard against a row added since.
    row[p.column] = names.get(value) ?? null;
    tally.add(pseudonymizedNames(p), spaceOf(row, p.space), value, 1);
  }
  return { ...record, row };
}

function spaceOf(row: Row, columns: string[]): string {
  const value = columns.map((c) => row[c]).find((v) => v !== null && v !== undefined);
  return String(value ?? '');
}

function pseudonymizedNames(p: PeopleColumn): Group {
  const summary = ({ people, spaces }: Counts) => `${namesOf(people)} replaced by pseudonyms ${spaces} (${p.what})`;
  return { dataset: p.dataset, what: p.what, action: 'pseudonymized', reason: REASONS.pseudonymized, summary };
}

function namesOf(people: number): string {
  return people === 1 ? "1 other person's name was" : `${others(people)}'s names were`;
}

async function countLeftOut(sql: Sql, leftOut: LeftOut, subject: Subject, tally: Tally): Promise<void> {
  // Sorted, so the spaces are listed in the same order every time: a grouping query returns its
  // groups in whatever order its plan (a parallel hash aggregate) happens to finish them.
  const text = bindSubject(`select space, person, n from (${leftOut.query}) as left_out order by space, person`);
  const rows = await sql.unsafe(text, [subject.tenantId, subject.accountId]);
  const group = { ...leftOut, action: 'left_out' as const };
  for (const r of rows) tally.add(group, String(r.space ?? ''), r.person === null ? null : String(r.person), Number(r.n));
}

interface Group {
  dataset: string;
  what: string;
  action: Action;
  reason: string;
  summary: (c: Counts) => string;
}

interface Space {
  count: number;
  people: Set<string>;
}

/** Counts per group and space; only ids and numbers stay in memory, never row contents. */
class Tally {
  private readonly groups = new Map<string, { group: Group; spaces: Map<string, Space> }>();

  constructor(private readonly space: [string, string]) {}

  add(group: Group, space: string, person: string | null, n: number): void {
    const key = `${group.dataset}\u0000${group.what}\u0000${group.action}`;
    let entry = this.groups.get(key);
    if (!entry) {
      entry = { group, spaces: new Map() };
      this.groups.set(key, entry);
    }
    let counts = entry.spaces.get(space);
    if (!counts) {
      counts = { count: 0, people: new Set() };
      entry.spaces.set(space, counts);
    }
    counts.count += n;
    if (person !== null) counts.people.add(person);
  }

  /** Per group a line for the whole feature (space null), then one per space. */
  *records(): Generator<CollectedRecord> {
    for (const { group, spaces } of this.groups.values()) {
      const all = [...spaces.values()];
      const total = { count: sum(all.map((s) => s.count)), people: new Set(all.flatMap((s) => [...s.people])) };
      const inSpaces = `in ${count(spaces.size, ...this.space)}`;
      yield this.record(group, null, total, inSpaces);
      for (const [id, s] of spaces) yield this.record(group, id, s, `in this ${this.space[0]}`);
    }
  }

  private record(group: Group, space: string | null, s: Space, spaces: string): CollectedRecord {
    const people = s.people.size;
    return {
      dataset: REDACTIONS_DATASET.name,
      row: {
        dataset: group.dataset,
        space,
        what: group.what,
        count: s.count,
        people,
        action: group.action,
        summary: group.summary({ count: s.count, people, spaces }),
        reason: group.reason,
      },
    };
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** "12 messages by 4 other people in 3 conversations were left out". */
export function leftOutSummary(one: string, many: string): (c: Counts) => string {
  return ({ count: n, people, spaces }) => `${count(n, one, many)} by ${others(people)} ${spaces} ${n === 1 ? 'was' : 'were'} left out`;
}

/** The pseudonym table names other people: once a request's result is built it is not needed any more. */
export async function forgetPseudonyms(sql: Sql, requestId: string): Promise<void> {
  await sql`delete from pseudonyms.participants where request_id = ${requestId}`;
}
