import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';

/** The SQL text of feature descriptions: how it names tables, and how it names the subject. */

/**
 * How the SQL text of a description names the subject: `:tenant` and `:account` (a `::cast` is left
 * alone). The subject never enters SQL text: it is bound as parameters, or for COPY, which takes none,
 * read from settings its transaction sets from parameters.
 */
const SUBJECT_NAMES = /(?<![:\w]):(tenant|account)\b/g;

/** `:tenant` and `:account` become $1 and $2. */
export function bindSubject(text: string): string {
  return text.replace(SUBJECT_NAMES, (_, name: string) => (name === 'tenant' ? '$1' : '$2'));
}

/** `:tenant` and `:account` read the settings `dsar.tenant` and `dsar.account`. */
export function bindSubjectToSettings(text: string): string {
  return text.replace(SUBJECT_NAMES, (_, name: string) => `current_setting('dsar.${name}')`);
}

/** The table's schema-qualified SQL name, `im.messages`, for SQL text that names it. */
export function tableName(table: PgTable): string {
  const { schema, name } = getTableConfig(table);
  return schema ? `${schema}.${name}` : name;
}
