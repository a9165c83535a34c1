import type postgres from 'postgres';
import type { BlobStore } from '../blobs/blob-store.js';
import { FEATURE_IDS } from '../catalogue/schema.js';
import type { Sql } from '../db/client.js';
import { tableName } from '../features/sql-text.js';
import type { Feature } from '../features/feature.js';
import { FEATURES } from '../features/features.js';
import { DemoData, type Row } from './data.js';
import { DEMO_TENANTS } from './people.js';
import { Random } from './random.js';

/** Any fixed number; only the seeder takes this lock, so two seeders cannot both load the data. */
const SEED_LOCK = 7_351_201_120;
const INSERT_BATCH = 500;
const BLOB_WRITES_AT_ONCE = 16;

/**
 * The features round by round (see FeatureDemo.round), in the list's order within a round. The
 * builders share one random sequence and each round runs for every tenant before the next starts,
 * so data added later never shifts the data of the features that came before.
 */
const ROUNDS: Feature[][] = [...new Set(FEATURES.map((f) => f.demo.round))]
  .sort((a, b) => a - b)
  .map((round) => FEATURES.filter((f) => f.demo.round === round));

/** Every table the demo fills, parents before children. */
const TABLES = ['tenants', ...ROUNDS.flat().flatMap((f) => f.tables.map(tableName))];

export interface SeedOptions {
  seed?: number;
  /** The day logs and payments are dated back from (default: today); see DemoData.today. */
  today?: Date;
}

/**
 * Loads the demo tenants `acme` and `globex` with their people and data in every built-in feature
 * store, file bytes into `blobs`. Does nothing when `acme` exists already. The same seed and day
 * always give the same data.
 */
export async function seedDemo(sql: Sql, blobs: BlobStore, options: SeedOptions = {}): Promise<{ seeded: boolean }> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${SEED_LOCK})`;
    const [existing] = await tx`select 1 from tenants where id = 'acme'`;
    if (existing) return { seeded: false };
    const data = build(options.seed ?? 1, startOfDay(options.today ?? new Date()));
    await writeBlobs(blobs, data.blobs);
    for (const [table, rows] of data.tables) await insert(tx, table, rows);
    return { seeded: true };
  });
}

function build(seed: number, today: Date): DemoData {
  const data = new DemoData(new Random(seed), TABLES, today);
  for (const tenant of DEMO_TENANTS) {
    data.add('tenants', { id: tenant.id, name: tenant.name, features: [...FEATURE_IDS] });
  }
  for (const round of ROUNDS) {
    for (const tenant of DEMO_TENANTS) for (const feature of round) feature.demo.seed(data, tenant);
  }
  return data;
}

function startOfDay(day: Date): Date {
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
}

async function writeBlobs(blobs: BlobStore, files: { key: string; body: Buffer }[]): Promise<void> {
  for (let i = 0; i < files.length; i += BLOB_WRITES_AT_ONCE) {
    await Promise.all(files.slice(i, i + BLOB_WRITES_AT_ONCE).map((f) => blobs.put(f.key, f.body)));
  }
}

async function insert(tx: postgres.TransactionSql, table: string, rows: Row[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_BATCH) {
    await tx`insert into ${tx(table)} ${tx(rows.slice(i, i + INSERT_BATCH).map(withIsoDates))}`;
  }
}

/** postgres.js serializes a Date by the type the server expects, which a bulk insert leaves unknown. */
function withIsoDates(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
}
