import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { drizzle } from 'drizzle-orm/postgres-js';
import { openSql } from './client.js';
import { migrationsFolder } from '../paths.js';

/** Any fixed 64-bit number; only migrations take this advisory lock. */
const MIGRATION_LOCK = 7_351_201_119;

/**
 * Applies drizzle/ migrations in one step. drizzle's migrator takes no lock of its own,
 * so replicas starting together would race: an advisory lock makes the others wait.
 */
export async function runMigrations(url: string): Promise<void> {
  const sql = openSql(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(sql), { migrationsFolder });
  } finally {
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

/** Creates the database named in `url` if it does not exist (embedded mode and tests). */
export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const sql = openSql(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await sql`select 1 from pg_database where datname = ${name}`;
    if (!exists) {
      const quote = (id: string) => `"${id.replaceAll('"', '""')}"`;
      await sql.unsafe(`create database ${quote(name)}${template ? ` template ${quote(template)}` : ''}`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
