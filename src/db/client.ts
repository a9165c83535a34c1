import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';

/** drizzle over postgres.js; `$client` is the postgres.js pool (prepared, see preparing). */
export type Db = PostgresJsDatabase & { $client: Sql };
export type Sql = postgres.Sql;

export interface Database {
  sql: Sql;
  db: Db;
  close(): Promise<void>;
}

export function connect(url: string, options: { max?: number } = {}): Database {
  const sql = openSql(url, {
    max: options.max ?? 10,
    onnotice: () => {},
  });
  const db = drizzle(preparing(sql));
  return { sql, db, close: () => sql.end({ timeout: 5 }) };
}

/**
 * postgres.js reaches a Unix socket only through its `host` option (a directory); a URL names the
 * directory as libpq's do, `?host=/dir` (the embedded Postgres's, src/embedded/postgres.ts). postgres.js
 * would send that parameter to the server as a setting, so it is taken out of the URL here.
 */
export function openSql(url: string, options: postgres.Options<Record<string, never>> = {}): Sql {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  const host = parsed?.searchParams.get('host');
  if (!parsed || !host?.startsWith('/')) return postgres(url, options);
  parsed.searchParams.delete('host');
  return postgres(parsed.toString(), { ...options, host });
}

type Begin = (...args: unknown[]) => Promise<unknown>;

/**
 * drizzle sends every query it was not given a name for as an unnamed statement (postgres.js'
 * `prepare: false`): postgres.js then asks Postgres for the parameters' types before each execution
 * (two round trips where one would do) and Postgres parses and plans it every time. Prepared, as
 * postgres.js' own tagged queries are, a statement is described once per connection and then only
 * bound and executed, in transactions too. What is prepared lives as long as its connection (postgres.js
 * replaces each after 30–60 minutes), so statements whose text varies (a list of ids) do not pile up.
 */
function preparing(sql: Sql): Sql {
  // The callback comes last (begin and savepoint may take options or a name first); its client prepares too.
  const scoped = (open: Begin): Begin => (...args) => {
    const work = args.pop() as (tx: Sql) => unknown;
    return open(...args, (tx: Sql) => work(preparing(tx)));
  };
  return new Proxy(sql, {
    get(target, property, receiver) {
      if (property === 'unsafe') {
        return (query: string, params?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) =>
          target.unsafe(query, params, { ...options, prepare: true });
      }
      if (property === 'begin' || property === 'savepoint') return scoped((Reflect.get(target, property) as Begin).bind(target));
      return Reflect.get(target, property, receiver);
    },
  });
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
