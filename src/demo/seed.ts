import type postgres from 'postgres';
import type { BlobStore } from '../blobs/blob-store.js';
import { FEATURE_IDS } from '../catalogue/schema.js';
import type { Sql } from '../db/client.js';
import { seedAccountLogin } from './account-login.js';
import { seedAddressBook } from './address-book.js';
import { seedApproval } from './approval.js';
import { seedAthena } from './athena.js';
import { seedCalendar } from './calendar.js';
import { seedClockIn } from './clock-in.js';
import { seedClouddrive } from './clouddrive.js';
import { seedConsole } from './console.js';
import { DemoData, type Row } from './data.js';
import { seedEmail } from './email.js';
import { seedIm } from './im.js';
import { seedKnowledge } from './knowledge.js';
import { seedLiveStreaming } from './live-streaming.js';
import { seedMeetings } from './meetings.js';
import { DEMO_TENANTS, type DemoTenant } from './people.js';
import { Random } from './random.js';
import { seedRedEnvelope } from './red-envelope.js';
import { seedSearch } from './search.js';
import { seedSecurity } from './security.js';
import { seedTranslation } from './translation.js';
import { seedWecode } from './wecode.js';
import { seedWeform } from './weform.js';

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
  'account_login.accounts',
  'account_login.third_party_accounts',
  'address_book.contacts',
  'address_book.external_contacts',
  'email.accounts',
  'email.mailboxes',
  'security.profiles',
  'security.devices',
  'security.login_logs',
  'security.operation_logs',
  'meetings.meetings',
  'meetings.participants',
  'meetings.chat_messages',
  'meetings.recordings',
  'meetings.captions',
  'meetings.client_reports',
  'live_streaming.broadcasts',
  'live_streaming.viewers',
  'live_streaming.recordings',
  'knowledge.profiles',
  'knowledge.posts',
  'knowledge.comments',
  'knowledge.likes',
  'athena.dialogs',
  'athena.inputs',
  'translation.jobs',
  'approval.profiles',
  'approval.submissions',
  'approval.steps',
  'wecode.authorizations',
  'wecode.usage',
  'weform.forms',
  'weform.submissions',
  'search.people',
  'search.keywords',
  'console.administrators',
  'console.operation_logs',
  'red_envelope.alipay_accounts',
  'red_envelope.envelopes',
  'red_envelope.claims',
  'red_envelope.payments',
];

type Builder = (data: DemoData, tenant: DemoTenant) => void;

/**
 * One builder per feature, in groups by when they were added. The builders share one random sequence
 * and each group runs for every tenant before the next starts, so data added later never shifts the
 * data of the features that came before.
 */
const BUILDERS: Builder[][] = [
  [seedIm, seedCalendar, seedClouddrive, seedClockIn],
  [
    seedAccountLogin,
    seedAddressBook,
    seedEmail,
    seedSecurity,
    seedMeetings,
    seedLiveStreaming,
    seedKnowledge,
    seedAthena,
    seedTranslation,
    seedApproval,
    seedWecode,
    seedWeform,
    seedSearch,
    seedConsole,
    seedRedEnvelope,
  ],
];

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
  for (const group of BUILDERS) {
    for (const tenant of DEMO_TENANTS) for (const builder of group) builder(data, tenant);
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
