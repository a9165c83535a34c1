import type postgres from 'postgres';
import type { BlobStore } from '../blobs/blob-store.js';
import { FEATURE_IDS } from '../catalogue/schema.js';
import type { Sql } from '../db/client.js';
import { seedCalendar } from './calendar.js';
import { seedClockIn } from './clock-in.js';
import { seedClouddrive } from './clouddrive.js';
import { DemoData, type Row } from './data.js';
import { seedIm } from './im.js';
import { DEMO_TENANTS } from './people.js';
import { Random } from './random.js';

/** Any fixed number; only the seeder takes this lock, so two seeders cannot both load the data. */
const SEED_LOCK = 7_351_201_120;
const INSERT_BATCH = 500;
const BLOB_WRITES_AT_ONCE = 16;

/** Every table the demo fills, parents before children. */
const TABLES = [
  'tenants',
  'im.conversations',
  'im.members',
  'im.messages',
  'im.attachments',
  'im.devices',
  'calendar.events',
  'calendar.attendees',
  'clouddrive.users',
  'clouddrive.folders',
  'clouddrive.files',
  'clouddrive.permissions',
  'clock_in.profiles',
  'clock_in.records',
];

/**
 * Loads the demo tenants `acme` and `globex` with their people and data in the four built-in feature
 * stores, file bytes into `blobs`. Does nothing when `acme` exists already. The same seed always
 * gives the same data.
 */
export async function seedDemo(sql: Sql, blobs: BlobStore, options: { seed?: number } = {}): Promise<{ seeded: boolean }> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${SEED_LOCK})`;
    const [existing] = await tx`select 1 from tenants where id = 'acme'`;
    if (existing) return { seeded: false };
    const data = build(options.seed ?? 1);
    await writeBlobs(blobs, data.blobs);
    for (const [table, rows] of data.tables) await insert(tx, table, rows);
    return { seeded: true };
  });
}

function build(seed: number): DemoData {
  const data = new DemoData(new Random(seed), TABLES);
  for (const tenant of DEMO_TENANTS) {
    data.add('tenants', { id: tenant.id, name: tenant.name, features: [...FEATURE_IDS] });
  }
  for (const tenant of DEMO_TENANTS) {
    seedIm(data, tenant);
    seedCalendar(data, tenant);
    seedClouddrive(data, tenant);
    seedClockIn(data, tenant);
  }
  return data;
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
