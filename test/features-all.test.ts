import t from 'tap';
import { createHash } from 'node:crypto';
import { is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { LocalBlobStore } from '../src/blobs/blob-store.js';
import { featureById, itemIds } from '../src/catalogue/catalogue.js';
import { FEATURE_IDS } from '../src/catalogue/schema.js';
import { connect } from '../src/db/client.js';
import { seedDemo } from '../src/demo/seed.js';
import { rowValues, type AdapterContext, type ErasureOutcome, type Subject } from '../src/features/adapter.js';
import type { PartialRecord } from '../src/results/partials/partials.js';
import { FEATURES } from '../src/features/features.js';
import { builtInAdapters } from '../src/features/registry.js';
import { tableName } from '../src/features/sql-text.js';
import { KEYWORDS_KEPT } from '../src/features/search/adapter.js';
import { createTestDatabase } from './helper.js';

/**
 * Every built-in adapter against the demo data: descriptions against the catalogue, a collect of
 * alice against the stores, her erasure (shared data anonymized, legally retained rows left in place),
 * the purge of retained rows past their period and of search keywords beyond the latest.
 * test/features.test.ts looks closer at the first four features.
 */

/** The schemas of the feature stores, from the feature folders. */
const SCHEMAS = [...new Set(FEATURES.flatMap((f) => f.tables.map((table) => getTableConfig(table).schema!)))];
/** The tables of retained datasets, with the column their period counts from. */
const RETAINED = [
  { dataset: 'security/login-logs', table: 'security.login_logs', since: 'occurred_at', days: 180 },
  { dataset: 'security/operation-logs', table: 'security.operation_logs', since: 'occurred_at', days: 180 },
  { dataset: 'console/operation-logs', table: 'console.operation_logs', since: 'occurred_at', days: 180 },
  { dataset: 'red-envelope/payments', table: 'red_envelope.payments', since: 'paid_at', days: 1825 },
];
const BLOB_COLUMNS = [
  'im.attachments.blob_key', 'clouddrive.files.blob_key', 'clock_in.records.face_image_key',
  'address_book.contacts.profile_image_key', 'knowledge.profiles.profile_image_key', 'meetings.chat_messages.image_key',
  'meetings.recordings.blob_key', 'live_streaming.recordings.blob_key', 'athena.inputs.voice_key',
];
const FIRST_FOUR = ['im', 'calendar', 'clouddrive', 'clock-in'];

/** What collecting alice must return per dataset of the other features, counted straight from the stores. */
const ALICE_ROWS: Record<string, string> = {
  'account-login/account': `select 1 from account_login.accounts where account_id = 'alice'`,
  'account-login/third-party-accounts': `select 1 from account_login.third_party_accounts where account_id = 'alice'`,
  'address-book/entry': `select 1 from address_book.contacts where account_id = 'alice'`,
  'address-book/external-contacts': `select 1 from address_book.external_contacts where owner_account_id = 'alice'`,
  'email/accounts': `select 1 from email.accounts where account_id = 'alice'`,
  'email/mailboxes': `select 1 from email.mailboxes m join email.accounts a on a.id = m.email_account_id where a.account_id = 'alice'`,
  'security/profile': `select 1 from security.profiles where account_id = 'alice'`,
  'security/devices': `select 1 from security.devices where account_id = 'alice'`,
  'security/login-logs': `select 1 from security.login_logs where account_id = 'alice'`,
  'security/operation-logs': `select 1 from security.operation_logs where account_id = 'alice'`,
  'meetings/meetings': `select distinct m.id from meetings.meetings m left join meetings.participants p on p.meeting_id = m.id
    where m.host_account_id = 'alice' or p.account_id = 'alice'`,
  'meetings/participation': `select 1 from meetings.participants where account_id = 'alice'`,
  'meetings/chat': `select 1 from meetings.chat_messages where sender_account_id = 'alice'`,
  'meetings/recordings': `select distinct r.id from meetings.recordings r left join meetings.participants p on p.meeting_id = r.meeting_id
    where r.recorded_by_account_id = 'alice' or p.account_id = 'alice'`,
  'meetings/captions': `select 1 from meetings.captions where speaker_account_id = 'alice'`,
  'meetings/client-reports': `select 1 from meetings.client_reports where account_id = 'alice'`,
  'live-streaming/broadcasts': `select distinct b.id from live_streaming.broadcasts b left join live_streaming.viewers v on v.broadcast_id = b.id
    where 'alice' in (b.publisher_account_id, b.speaker_account_id, v.account_id)`,
  'live-streaming/viewing': `select 1 from live_streaming.viewers where account_id = 'alice'`,
  'live-streaming/recordings': `select 1 from live_streaming.recordings r join live_streaming.broadcasts b on b.id = r.broadcast_id
    where 'alice' in (b.publisher_account_id, b.speaker_account_id)`,
  'knowledge/profile': `select 1 from knowledge.profiles where account_id = 'alice'`,
  'knowledge/posts': `select 1 from knowledge.posts where author_account_id = 'alice'`,
  'knowledge/comments': `select 1 from knowledge.comments where author_account_id = 'alice'`,
  'knowledge/likes': `select 1 from knowledge.likes where account_id = 'alice'`,
  'athena/dialogs': `select 1 from athena.dialogs where account_id = 'alice'`,
  'athena/inputs': `select 1 from athena.inputs where account_id = 'alice'`,
  'translation/translations': `select 1 from translation.jobs where account_id = 'alice'`,
  'approval/profile': `select 1 from approval.profiles where account_id = 'alice'`,
  'approval/submissions': `select 1 from approval.submissions where applicant_account_id = 'alice'`,
  'approval/steps': `select 1 from approval.steps s join approval.submissions m on m.id = s.submission_id
    where s.approver_account_id = 'alice' or m.applicant_account_id = 'alice'`,
  'wecode/authorizations': `select 1 from wecode.authorizations where account_id = 'alice'`,
  'wecode/usage': `select 1 from wecode.usage where account_id = 'alice'`,
  'weform/forms': `select 1 from weform.forms where owner_account_id = 'alice'`,
  'weform/submissions': `select 1 from weform.submissions where account_id = 'alice'`,
  'search/directory-entry': `select 1 from search.people where account_id = 'alice'`,
  'search/keywords': `select 1 from search.keywords where account_id = 'alice'`,
  'console/administrator': `select 1 from console.administrators where account_id = 'alice'`,
  'console/operation-logs': `select 1 from console.operation_logs where account_id = 'alice'`,
  'red-envelope/alipay-account': `select 1 from red_envelope.alipay_accounts where account_id = 'alice'`,
  'red-envelope/sent': `select 1 from red_envelope.envelopes where sender_account_id = 'alice'`,
  'red-envelope/received': `select 1 from red_envelope.claims where account_id = 'alice'`,
  'red-envelope/payments': `select 1 from red_envelope.payments where account_id = 'alice'`,
};

const alice: Subject = { tenantId: 'acme', accountId: 'alice' };
const bob: Subject = { tenantId: 'acme', accountId: 'bob' };
const DAY_MS = 24 * 60 * 60 * 1000;

const db = connect(await createTestDatabase(t));
const sql = db.sql;
const blobDir = await mkdtemp(path.join(os.tmpdir(), 'dsar-features-all-'));
const blobs = new LocalBlobStore(blobDir);
const ctx: AdapterContext = { sql, blobs, log: pino({ level: 'silent' }) };
t.teardown(async () => {
  await db.close();
  await rm(blobDir, { recursive: true, force: true });
});

const today = new Date();
const seeded = await seedDemo(sql, blobs, { today });

const adapters = [...builtInAdapters.values()];

async function collect(subject: Subject, features = adapters): Promise<PartialRecord[]> {
  const records: PartialRecord[] = [];
  for (const adapter of features) {
    for await (const record of adapter.collect(subject, ctx)) {
      records.push({ ...record, row: rowValues(record), dataset: `${adapter.feature}/${record.dataset}` });
    }
  }
  return records;
}

async function eraseAll(subject: Subject): Promise<Map<string, ErasureOutcome>> {
  const outcomes = new Map<string, ErasureOutcome>();
  for (const adapter of adapters) {
    for (const o of await adapter.erase(subject, ctx)) outcomes.set(`${adapter.feature}/${o.dataset}`, o);
  }
  return outcomes;
}

async function count(text: string, values: string[] = []): Promise<number> {
  const [row] = await sql.unsafe(`select count(*)::int as n from (${text}) as rows`, values);
  return Number(row?.n ?? -1);
}

function countsBy(records: PartialRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[r.dataset] = (counts[r.dataset] ?? 0) + 1;
  return counts;
}

async function tables(): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select table_schema || '.' || table_name as name from information_schema.tables
    where table_schema in ${sql(SCHEMAS)} order by 1`;
  return rows.map((r) => r.name);
}

async function tableCounts(tenant?: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of await tables()) {
    if (tenant && name.endsWith('.blob_deletions')) continue;
    counts[name] = await count(`select 1 from ${name}${tenant ? ' where tenant_id = $1' : ''}`, tenant ? [tenant] : []);
  }
  return counts;
}

/** Rows of every text column of the feature schemas mentioning `value`, as `schema.table` → row ids. */
async function rowsMentioning(value: string): Promise<Map<string, Set<string>>> {
  const columns = await sql<{ schema: string; table: string; column: string }[]>`
    select table_schema as schema, table_name as table, column_name as column from information_schema.columns c
    where table_schema in ${sql(SCHEMAS)} and data_type = 'text' and table_name <> 'blob_deletions'`;
  const found = new Map<string, Set<string>>();
  for (const c of columns) {
    const table = `${c.schema}.${c.table}`;
    const rows = await sql.unsafe(`select id::text from ${table} where "${c.column}" ilike '%' || $1 || '%'`, [value]);
    for (const { id } of rows) found.set(table, (found.get(table) ?? new Set()).add(id as string));
  }
  return found;
}

async function blobReferences(): Promise<string[]> {
  const keys: string[] = [];
  for (const ref of BLOB_COLUMNS) {
    const [schema, table, column] = ref.split('.');
    const rows = await sql.unsafe(`select ${column} as key from ${schema}.${table} where ${column} is not null`);
    keys.push(...rows.map((r) => r.key as string));
  }
  return keys;
}

async function storedBlobs(): Promise<number> {
  return (await readdir(blobDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
}

async function blobSha256(key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of blobs.get(key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function withoutAlice(records: PartialRecord[]): string[] {
  return records
    .map((r) => ({ ...r, row: Object.fromEntries(Object.entries(r.row).map(([k, v]) => [k, v === 'alice' ? null : v])) }))
    .map((r) => JSON.stringify(r))
    .sort();
}

async function one(text: string): Promise<Record<string, unknown> | undefined> {
  const [row] = await sql.unsafe(text);
  return row;
}

t.test('one folder per catalogue feature, each listing its whole store', async (t) => {
  t.same(FEATURES.map((f) => f.id), [...FEATURE_IDS], 'the feature list follows the catalogue');
  for (const feature of FEATURES) {
    const module: Record<string, unknown> = await import(`../src/features/${feature.id}/tables.js`);
    const declared = Object.values(module).filter((v): v is PgTable => is(v, PgTable)).map(tableName);
    t.same(feature.tables.map(tableName).sort(), declared.sort(), `${feature.id}: feature.ts lists every table of tables.ts`);
    t.equal(feature.adapter.feature, feature.id, `${feature.id}: its adapter is for it`);
  }
  t.same((await tables()).sort(), FEATURES.flatMap((f) => f.tables.map(tableName)).sort(), 'the migrations made every table, and no other');
});

t.test('every feature has an adapter, described with catalogue items', async (t) => {
  t.same([...builtInAdapters.keys()].sort(), [...FEATURE_IDS].sort());
  for (const adapter of adapters) {
    const feature = featureById(adapter.feature);
    const carried = new Set(adapter.datasets.flatMap((d) => Object.values(d.items)));
    for (const d of adapter.datasets) {
      for (const [column, item] of Object.entries(d.items)) {
        // `file`: the item the bytes of a row's file carry.
        t.ok(column === 'file' || d.columns.includes(column), `${adapter.feature}.${d.name}.${column} is an output column`);
        t.ok(itemIds(adapter.feature).includes(item), `${adapter.feature}.${d.name}.${column}: ${item} is a catalogue item`);
      }
    }
    for (const item of feature.items) {
      const stored = item.processing === 'stored';
      t.equal(carried.has(item.id), stored, `${adapter.feature}/${item.id} (${item.processing}) ${stored ? 'is' : 'is not'} in a store`);
    }
  }
  const retained = adapters.flatMap((a) => a.datasets.filter((d) => d.retention).map((d) => [`${a.feature}/${d.name}`, d.retention!.days]));
  t.same(retained, RETAINED.map((r) => [r.dataset, r.days]), 'the retained datasets and their periods');
  for (const adapter of adapters) {
    for (const d of adapter.datasets) if (d.retention) t.match(d.retention.reason, /legal obligation/, `${adapter.feature}.${d.name} says why`);
  }
  t.equal(KEYWORDS_KEPT, 20, 'search keeps the 20 keywords the catalogue promises');
  t.notOk(
    adapters.some((a) => a.datasets.some((d) => d.columns.includes('password_hash'))),
    'no dataset outputs a password hash',
  );
});

t.test('the demo seed', async (t) => {
  // How long seeding takes is no test's business (a shared machine's timings are noise).
  t.ok(seeded.seeded, 'the seed loads into an empty database');
  const located = async (subject: Subject) => {
    const withData: string[] = [];
    for (const adapter of adapters) {
      const counts = await adapter.locate(subject, ctx);
      if (Object.values(counts).some((n) => n > 0)) withData.push(adapter.feature);
    }
    return withData;
  };
  t.same(await located(alice), [...builtInAdapters.keys()], 'alice has data in every feature');
  t.same(await located(bob), [...builtInAdapters.keys()], 'bob has data in every feature');
  const people = await sql<{ account_id: string }[]>`select account_id from account_login.accounts where tenant_id = 'acme'`;
  for (const { account_id } of people) {
    const n = (await located({ tenantId: 'acme', accountId: account_id })).length;
    t.ok(n >= 12, `${account_id} has data in most features (${n})`);
  }
  const globex = await tableCounts('globex');
  t.same(
    Object.entries(globex).filter(([, n]) => n === 0).map(([name]) => name),
    [],
    'globex has data in every table',
  );
  const keywords = await sql`select account_id, count(*)::int as n from search.keywords group by account_id`;
  t.ok(keywords.every((r) => r.n <= KEYWORDS_KEPT), 'nobody has more than 20 search keywords');
  t.same(keywords.filter((r) => ['alice', 'bob'].includes(r.account_id)).map((r) => r.n), [KEYWORDS_KEPT, KEYWORDS_KEPT]);
  const shared = await sql`select account_id from address_book.contacts where tenant_id = 'acme' and email = 'support@acme.example'`;
  t.equal(shared.length, 2, 'two accounts share the support mailbox');

  const again = connect(await createTestDatabase(t));
  const againDir = await mkdtemp(path.join(os.tmpdir(), 'dsar-features-all-'));
  t.teardown(async () => {
    await again.close();
    await rm(againDir, { recursive: true, force: true });
  });
  await seedDemo(again.sql, new LocalBlobStore(againDir), { today });
  for (const table of await tables()) {
    const digest = `select md5(coalesce(string_agg(r::text, ',' order by r::text), '')) as d from ${table} r`;
    t.same(await again.sql.unsafe(digest), await sql.unsafe(digest), `${table}: the same seed and day give the same data`);
  }
});

t.test('collect alice', async (t) => {
  const records = await collect(alice);
  const counts = countsBy(records);
  for (const adapter of adapters) {
    const located = await adapter.locate(alice, ctx);
    for (const d of adapter.datasets) {
      const rows = records.filter((r) => r.dataset === `${adapter.feature}/${d.name}`);
      t.equal(rows.length, located[d.name], `${adapter.feature}.${d.name}: collect and locate agree`);
      t.ok(rows.every((r) => Object.keys(r.row).join() === d.columns.join()), `${adapter.feature}.${d.name}: rows have the columns`);
    }
  }
  for (const [dataset, query] of Object.entries(ALICE_ROWS)) {
    const n = await count(query);
    t.ok(n > 0, `alice has ${dataset}`);
    t.equal(counts[dataset] ?? 0, n, `${dataset} matches the store`);
  }
  const scalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  t.ok(records.every((r) => Object.values(r.row).every(scalar)), 'every value is a scalar');
  const answers = records.filter((r) => r.dataset === 'weform/submissions');
  t.ok(answers.length > 0, 'alice answered forms');
  t.ok(
    answers.every((r) => typeof JSON.parse(r.row.answers as string) === 'object'),
    'a jsonb column comes as its JSON text',
  );
  const account = records.find((r) => r.dataset === 'account-login/account');
  t.equal(account?.row.password_set, true, 'the login account says a password is held');
  const [stored] = await sql`select password_hash from account_login.accounts where account_id = 'alice'`;
  t.notOk(JSON.stringify(records).includes(stored!.password_hash), 'but never shows its hash');
  t.ok(records.filter((r) => r.dataset === 'email/accounts').every((r) => !Object.keys(r.row).some((k) => k.includes('password'))));

  const files = records.filter((r) => r.file && !FIRST_FOUR.includes(r.dataset.split('/')[0]!));
  t.same(
    [...new Set(files.map((r) => r.dataset))].sort(),
    ['address-book/entry', 'athena/inputs', 'knowledge/profile', 'live-streaming/recordings', 'meetings/chat', 'meetings/recordings'],
    'profile images, voice inputs, chat images and recordings come with their files',
  );
  for (const { file, dataset } of files) {
    t.equal(await blobs.size(file!.blobKey), file!.size, `${dataset}: ${file!.name} is stored with its size`);
    t.equal(await blobSha256(file!.blobKey), file!.sha256, `${dataset}: ${file!.name} has its sha256`);
  }
});

t.test('erase alice', async (t) => {
  const aliceBefore = await collect(alice);
  const aliceKeys = aliceBefore.flatMap((r) => (r.file ? [r.file.blobKey] : []));
  const others = adapters.filter((a) => !FIRST_FOUR.includes(a.feature));
  const bobBefore = await collect(bob, others);
  const globexBefore = await tableCounts('globex');
  const startedAt = Date.now();

  const outcomes = await eraseAll(alice);

  t.test('outcomes', async (t) => {
    for (const adapter of adapters) {
      for (const d of adapter.datasets) {
        const o = outcomes.get(`${adapter.feature}/${d.name}`);
        t.ok(o, `${adapter.feature}.${d.name} has an outcome`);
        t.ok(o!.items.every((i) => itemIds(adapter.feature).includes(i)), `${adapter.feature}.${d.name}: items are catalogue items`);
        if (o!.anonymized + o!.kept > 0) t.match(o!.note, /other (person|people)/, `${adapter.feature}.${d.name} says why it kept rows`);
        if (!d.retention) t.equal(o!.retained, undefined, `${adapter.feature}.${d.name} retains nothing`);
      }
    }
    for (const r of RETAINED) {
      const o = outcomes.get(r.dataset)!;
      const [newest] = await sql.unsafe(`select max(${r.since}) as at from ${r.table} where account_id = 'alice'`);
      const until = new Date(new Date(newest!.at as string).getTime() + r.days * DAY_MS).toISOString().slice(0, 10);
      t.ok(o.retained! > 0 && o.deleted > 0, `${r.dataset}: retained ${o.retained}, deleted ${o.deleted} past the period`);
      t.equal(o.retainedUntil, until, `${r.dataset}: retained until the newest row's period ends`);
      t.match(o.retentionReason, /legal obligation/);
    }
    // Shared rows are anonymized, what only she had is deleted.
    for (const dataset of ['meetings/chat', 'knowledge/posts', 'approval/submissions', 'weform/forms', 'red-envelope/sent']) {
      const o = outcomes.get(dataset)!;
      t.ok(o.anonymized > 0 && o.deleted > 0, `${dataset}: ${o.anonymized} anonymized, ${o.deleted} deleted`);
    }
    t.ok(outcomes.get('approval/steps')!.anonymized > 0, 'her decisions stay on the applicants\' records');
  });

  t.test('nothing mentions alice but retained rows inside their period', async (t) => {
    const found = await rowsMentioning('alice');
    const allowed = new Set(RETAINED.map((r) => r.table));
    t.same([...found.keys()].filter((table) => !allowed.has(table)), [], 'no other table mentions her');
    for (const r of RETAINED) {
      const ids = [...(found.get(r.table) ?? [])];
      t.ok(ids.length > 0, `${r.table} keeps some of her rows`);
      const rows = await sql.unsafe(`select account_id, ${r.since} as since from ${r.table} where id = any($1::uuid[])`, [ids]);
      const periodStart = startedAt - r.days * DAY_MS;
      t.ok(rows.every((row) => row.account_id === 'alice'), `${r.table}: each is her own row`);
      t.ok(rows.every((row) => new Date(row.since as string).getTime() > periodStart), `${r.table}: each is younger than ${r.days} days`);
    }
    const counts = await tableCounts();
    t.same(Object.entries(counts).filter(([name, n]) => name.endsWith('.blob_deletions') && n > 0), [], 'no bytes left to delete');
  });

  t.test('retained rows stay hers: a later access shows them', async (t) => {
    const after = countsBy(await collect(alice));
    const retained = Object.fromEntries(RETAINED.map((r) => [r.dataset, outcomes.get(r.dataset)!.retained]));
    t.same(after, retained, 'only the retained rows are left, still linked to her');
    for (const adapter of adapters) {
      const located = await adapter.locate(alice, ctx);
      for (const d of adapter.datasets) if (!d.retention) t.equal(located[d.name], 0, `${adapter.feature}.${d.name}: nothing left`);
    }
  });

  t.test('shared data stays for the others, without her', async (t) => {
    t.match(await one(`select host_account_id from meetings.meetings where topic = 'Project Phoenix weekly'`), { host_account_id: null });
    t.equal(await count(`select 1 from meetings.meetings where topic = 'Demo dry run'`), 0, 'a meeting only she was in is gone');
    t.match(await one(`select recorded_by_account_id from meetings.recordings r join meetings.meetings m on m.id = r.meeting_id
      where m.topic = 'Project Phoenix weekly'`), { recorded_by_account_id: null }, 'her recording of a shared meeting stays');
    t.same(
      (await sql`select account_id from meetings.participants p join meetings.meetings m on m.id = p.meeting_id
        where m.topic = 'Project Phoenix weekly' order by 1`).map((r) => r.account_id),
      ['bob', 'carol', 'dave'],
    );
    t.match(await one(`select publisher_account_id, speaker_account_id from live_streaming.broadcasts where topic = 'Sales kickoff'`), {
      publisher_account_id: 'bob',
      speaker_account_id: null,
    });
    t.equal(await count(`select 1 from live_streaming.broadcasts where topic = 'Launch rehearsal'`), 0);
    t.match(await one(`select author_account_id from knowledge.posts where title = 'Onboarding checklist for new engineers'`), { author_account_id: null });
    t.equal(await count(`select 1 from knowledge.posts where title = 'Draft: notes on caching'`), 0);
    const nameless = (table: string, column: string, label: string) =>
      sql.unsafe(`select ${label} as label from ${table} where ${column} is null order by 1`).then((rows) => rows.map((r) => r.label));
    t.same(await nameless('approval.submissions', 'applicant_account_id', 'title'), ['Annual leave'], 'her approved leave stays, her pending claim is gone');
    t.match(await one(`select approver_account_id, decision from approval.steps s join approval.submissions m on m.id = s.submission_id
      where m.applicant_account_id = 'bob' and m.title = 'Customer visit in Munich' and s.position = 1`), {
      approver_account_id: null,
      decision: 'approved',
    });
    t.match(await one(`select owner_account_id from weform.forms where title = 'Phoenix offsite survey'`), { owner_account_id: null });
    t.equal(await count(`select 1 from weform.forms where title = 'Draft poll'`), 0);
    const claimed = await sql`select greeting from red_envelope.envelopes e where sender_account_id is null
      and greeting in ('Happy New Year, team!', 'Thanks for the help', 'Spring festival', 'Welcome to the team') order by 1`;
    t.same(claimed.map((r) => r.greeting), ['Happy New Year, team!', 'Spring festival', 'Thanks for the help'], 'her claimed envelopes stay');
    t.equal(await count(`select 1 from red_envelope.envelopes where greeting = 'Welcome to the team'`), 0, 'her unclaimed one is gone');
    t.ok(
      (await count(`select 1 from red_envelope.payments where account_id = 'alice' and envelope_id is null`)) > 0,
      'a retained payment outlives its envelope',
    );
  });

  t.test('file bytes', async (t) => {
    const referenced = await blobReferences();
    const kept = new Set(referenced);
    t.ok(aliceKeys.some((k) => kept.has(k)) && aliceKeys.some((k) => !kept.has(k)), 'some of her files stay, some go');
    for (const key of aliceKeys) t.equal((await blobs.size(key)) !== undefined, kept.has(key), `${key} ${kept.has(key) ? 'stays' : 'is gone'}`);
    const missing = [];
    for (const key of referenced) if ((await blobs.size(key)) === undefined) missing.push(key);
    t.same(missing, [], 'every remaining row still has its bytes');
    t.equal(await storedBlobs(), referenced.length, 'and no bytes are left without a row');
  });

  t.test('bob and globex keep their data', async (t) => {
    t.same(withoutAlice(await collect(bob, others)), withoutAlice(bobBefore), 'what changes for bob is that alice is no longer named');
    t.same(await tableCounts('globex'), globexBefore);
  });

  t.test('erasing again changes nothing', async (t) => {
    const before = await tableCounts();
    const again = await eraseAll(alice);
    for (const [dataset, o] of again) {
      t.ok(o.deleted === 0 && o.anonymized === 0 && o.kept === 0, `${dataset}: nothing to do`);
      t.equal(o.retained, outcomes.get(dataset)!.retained, `${dataset}: the same rows retained`);
    }
    t.same(await tableCounts(), before);
  });
});

t.test('the purge erases retained rows past their period and keywords beyond the latest 20, nothing else', async (t) => {
  const now = new Date();
  // bob gets one row just past each period and one just inside; carol searches 25 times.
  for (const r of RETAINED) {
    for (const days of [r.days + 1, r.days - 1]) {
      const since = new Date(now.getTime() - days * DAY_MS);
      const [copy] = await sql.unsafe(`select * from ${r.table} where account_id = 'bob' limit 1`);
      const row: Record<string, unknown> = { ...copy, [r.since]: since.toISOString() };
      delete row.id;
      if ('trade_no' in row) row.trade_no = `purge-test-${days}`;
      await sql`insert into ${sql(r.table)} ${sql(row as Record<string, string>)}`;
    }
  }
  await sql`delete from search.keywords where account_id = 'carol'`;
  for (let i = 0; i < 25; i++) {
    const at = new Date(now.getTime() - (25 - i) * 60_000).toISOString();
    await sql`insert into search.keywords (tenant_id, account_id, keyword, scope, searched_at) values ('acme', 'carol', ${`keyword ${i}`}, 'all', ${at})`;
  }
  const expired = async (at: Date) => {
    let n = 0;
    for (const r of RETAINED) {
      n += await count(`select 1 from ${r.table} where tenant_id = 'acme' and ${r.since} <= $1::timestamptz - make_interval(days => ${r.days})`, [
        at.toISOString(),
      ]);
    }
    return n;
  };
  const excessKeywords = await count(`select 1 from (select row_number() over (partition by account_id order by searched_at desc) as n
    from search.keywords where tenant_id = 'acme') k where k.n > ${KEYWORDS_KEPT}`);
  t.equal(excessKeywords, 5, 'carol has 5 keywords too many');
  const before = await tableCounts();
  const globexBefore = await tableCounts('globex');
  const purge = async (at: Date) => {
    let n = 0;
    for (const adapter of adapters) n += (await adapter.purgeExpired?.('acme', ctx, at)) ?? 0;
    return n;
  };

  const yearAgo = new Date(now.getTime() - 365 * DAY_MS);
  t.equal(await expired(yearAgo), 0, 'a year ago nothing had expired yet');
  t.equal(await purge(yearAgo), excessKeywords, 'so a purge as of then only trims keywords');

  const due = await expired(now);
  t.ok(due > RETAINED.length, `${due} retained rows have expired`);
  t.equal(await purge(now), due, 'the purge erases each of them');
  t.equal(await expired(now), 0);
  const after = await tableCounts();
  const changed = Object.keys(before).filter((name) => before[name] !== after[name]).sort();
  t.same(changed, [...RETAINED.map((r) => r.table), 'search.keywords'].sort(), 'no other table changed');
  for (const r of RETAINED) {
    const inside = new Date(now.getTime() - (r.days - 1) * DAY_MS);
    t.equal(
      await count(`select 1 from ${r.table} where account_id = 'bob' and ${r.since} between $1::timestamptz - interval '1 minute' and $1::timestamptz`, [
        inside.toISOString(),
      ]),
      1,
      `${r.table}: a row inside its period stays`,
    );
  }
  const keywords = await sql`select keyword from search.keywords where account_id = 'carol' order by searched_at`;
  t.same(keywords.map((k) => k.keyword), Array.from({ length: 20 }, (_, i) => `keyword ${i + 5}`), 'carol keeps her latest 20 keywords');
  t.same(await tableCounts('globex'), globexBefore, 'another tenant is not touched');
  t.equal(await purge(now), 0, 'a second purge finds nothing');
});

t.test('features without retained data purge nothing', async (t) => {
  const plain = adapters.filter((a) => !a.datasets.some((d) => d.retention) && a.feature !== 'search');
  for (const adapter of plain) t.equal(await adapter.purgeExpired?.('acme', ctx, new Date()), 0, adapter.feature);
});
