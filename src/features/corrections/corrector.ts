import { getTableColumns } from 'drizzle-orm';
import postgres from 'postgres';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { AdapterContext, CorrectionChange, CorrectionResult, FeatureAdapter, Subject } from '../adapter.js';
import type { ColumnOf } from '../declarative.js';
import { tableName } from '../sql-text.js';
import { recordCorrections, recordedCorrections } from './records.js';

/**
 * Corrections of a profile: one row per account (a login account, an address book entry) whose
 * columns hold catalogue items. A feature says which column holds each item it corrects, how a new
 * value is checked, and why the items it never corrects on request are refused; this engine reads
 * the old value and writes the new one, row locked, all of a request's changes in one transaction.
 */

export interface CorrectableColumn<K extends string> {
  column: K;
  /** The SQL type the value is cast to (default text). */
  type?: 'text' | 'date';
  /** Why the value cannot be stored, in words the subject reads; undefined when it can. */
  check?: (value: string) => string | undefined;
}

export interface ProfileSpec<T extends PgTable> {
  table: T;
  /** The column naming the account the row is about. */
  account: ColumnOf<T>;
  /** Each correctable item, by catalogue item id. */
  items: Record<string, CorrectableColumn<ColumnOf<T>>>;
  /** Items never corrected on request, each with the reason the subject reads. */
  refused: Record<string, string>;
  /** A column set to the time of the change, if the table keeps one. */
  touched?: ColumnOf<T>;
}

export function profileCorrector<T extends PgTable>(spec: ProfileSpec<T>): NonNullable<FeatureAdapter['correct']> {
  const columns = getTableColumns(spec.table);
  const name = (key: string) => {
    const column = columns[key];
    if (!column) throw new Error(`${tableName(spec.table)} has no column ${key}`);
    return column.name;
  };
  const table = tableName(spec.table);
  const account = name(spec.account);
  const touched = spec.touched === undefined ? '' : `, ${name(spec.touched)} = now()`;
  const applyOne = async (tx: postgres.TransactionSql, subject: Subject, change: CorrectionChange): Promise<CorrectionResult> => {
    const refusal = spec.refused[change.item];
    const target = spec.items[change.item];
    const problem = refusal ?? (target ? target.check?.(change.value) : 'This item is not corrected automatically');
    if (problem !== undefined || !target) return { id: change.id, outcome: 'refused', reason: problem ?? 'This item is not corrected automatically' };
    const column = name(target.column);
    const where = `tenant_id = $1 and ${account} = $2`;
    const [row] = await tx.unsafe(`select ${column}::text as old from ${table} where ${where} for update`, [subject.tenantId, subject.accountId]);
    if (!row) return { id: change.id, outcome: 'refused', reason: 'No record of yours holds this item' };
    const update = `update ${table} set ${column} = $3::text::${target.type ?? 'text'}${touched} where ${where}`;
    try {
      await tx.savepoint((sp) => sp.unsafe(update, [subject.tenantId, subject.accountId, change.value]));
    } catch (err) {
      // A value the store refuses (a constraint, a date out of its range) is refused, not failed: the
      // driver's message would quote it, and it would reach the task's error and the trail.
      if (!(err instanceof postgres.PostgresError) || !/^2[23]/.test(err.code)) throw err;
      return { id: change.id, outcome: 'refused', reason: 'The store does not accept this value' };
    }
    return { id: change.id, outcome: 'corrected', oldValue: (row.old as string | null) ?? null };
  };
  // A change an earlier run of the request made (it committed, then stopped before the request
  // recorded it) is answered from its record: the store now holds the new value, not the old.
  return (subject: Subject, changes: CorrectionChange[], ctx: AdapterContext) =>
    ctx.sql.begin(async (tx) => {
      const recorded = ctx.requestId ? await recordedCorrections(tx, changes.map((c) => c.id)) : new Map<string, CorrectionResult>();
      const results: CorrectionResult[] = [];
      const made: CorrectionResult[] = [];
      for (const change of changes) {
        const earlier = recorded.get(change.id);
        const result = earlier ?? (await applyOne(tx, subject, change));
        if (!earlier) made.push(result);
        results.push(result);
      }
      if (ctx.requestId) await recordCorrections(tx, ctx.requestId, made);
      return results;
    });
}

function hasControlCharacter(value: string): boolean {
  return [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}

/** Checks for values the stores keep. */
export const checks = {
  /** A name or a line of text: no control characters, not only blanks. */
  text: (max: number) => (value: string) =>
    value.trim() === '' || value.length > max || hasControlCharacter(value) ? `Give a value of 1 to ${max} characters, on one line` : undefined,
  email: (value: string) => (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) && value.length <= 320 ? undefined : 'This is not an email address'),
  mobile: (value: string) => (/^\+?[0-9][0-9 ()-]{3,30}$/.test(value) ? undefined : 'This is not a mobile number'),
  date: (value: string) => {
    const time = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
    // 2026-02-30 parses as 2 March: only a date that reads back the same is one.
    return Number.isFinite(time) && new Date(time).toISOString().startsWith(value) ? undefined : 'Give the date as YYYY-MM-DD';
  },
  oneOf: (values: readonly string[]) => (value: string) => (values.includes(value) ? undefined : `Give one of: ${values.join(', ')}`),
};
