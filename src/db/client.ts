import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';

export type Db = PostgresJsDatabase;
export type Sql = postgres.Sql;

export interface Database {
  sql: Sql;
  db: Db;
  close(): Promise<void>;
}

export function connect(url: string, options: { max?: number } = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
  });
  const db = drizzle(sql);
  return { sql, db, close: () => sql.end({ timeout: 5 }) };
}

/**
 * postgres.js 3.4 can write to a connection's socket after the connection closed: a small write is
 * scheduled with setImmediate and runs after `closed()` has nulled the socket (porsager/postgres#1154;
 * the fix, #1168, is not released). The query was already rejected with CONNECTION_CLOSED and the pool
 * connects again, so this TypeError, thrown where no caller can catch it, must not stop a process that
 * is waiting out a Postgres restart.
 */
export function isClosedSocketWrite(err: unknown): boolean {
  return (
    err instanceof TypeError &&
    err.message.includes("(reading 'write')") &&
    /nextWrite \(.*[\\/]postgres[\\/]src[\\/]connection\.js/.test(err.stack ?? '')
  );
}
