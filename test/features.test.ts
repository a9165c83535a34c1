import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { LocalBlobStore } from '../src/blobs/blob-store.js';
import { itemIds } from '../src/catalogue/catalogue.js';
import { FEATURE_IDS } from '../src/catalogue/schema.js';
import { connect } from '../src/db/client.js';
import { seedDemo } from '../src/demo/seed.js';
import { rowValues, type AdapterContext, type ErasureOutcome, type Subject } from '../src/features/adapter.js';
import type { PartialRecord } from '../src/results/partials/partials.js';
import { builtInAdapters } from '../src/features/registry.js';
import { createTestDatabase } from './helper.js';

/**
 * The first four built-in adapters against a real Postgres with the demo data: what a collect returns
 * is checked against the tables, and an erasure of alice against everything the other people
 * must keep. test/features-all.test.ts covers them all.
 */

const SCHEMAS = ['im', 'calendar', 'clouddrive', 'clock_in'];
const alice: Subject = { tenantId: 'acme', accountId: 'alice' };
const bob: Subject = { tenantId: 'acme', accountId: 'bob' };
const adapters = (['im', 'calendar', 'clouddrive', 'clock-in'] as const).map((feature) => builtInAdapters.get(feature)!);

const db = connect(await createTestDatabase(t));
const sql = db.sql;
const blobDir = await mkdtemp(path.join(os.tmpdir(), 'dsar-features-'));
const blobs = new LocalBlobStore(blobDir);
const ctx: AdapterContext = { sql, blobs, log: pino({ level: 'silent' }) };
t.teardown(async () => {
  await db.close();
  await rm(blobDir, { recursive: true, force: true });
});

const firstSeed = await seedDemo(sql, blobs);

async function collectAll(subject: Subject): Promise<PartialRecord[]> {
  const records: PartialRecord[] = [];
  for (const adapter of adapters) {
    for await (const record of adapter.collect(subject, ctx)) {
      records.push({ ...record, row: rowValues(record), dataset: `${adapter.feature}/${record.dataset}` });
    }
  }
  return records;
}

async function eraseAll(subject: Subject): Promise<Map<string, ErasureOutcome[]>> {
  const outcomes = new Map<string, ErasureOutcome[]>();
  for (const adapter of adapters) outcomes.set(adapter.feature, await adapter.erase(subject, ctx));
  return outcomes;
}

function ofDataset(records: PartialRecord[], dataset: string): PartialRecord[] {
  return records.filter((r) => r.dataset === dataset);
}

async function count(query: PromiseLike<readonly Record<string, unknown>[]>): Promise<number> {
  const [row] = await query;
  return Number(row?.n ?? -1);
}

async function blobSha256(key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of blobs.get(key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function blobExists(key: string): Promise<boolean> {
  return (await blobs.size(key)) !== undefined;
}

/** Row counts of every table of the four feature schemas. */
async function tableCounts(): Promise<Record<string, number>> {
  const tables = await sql<{ name: string }[]>`
    select table_schema || '.' || table_name as name from information_schema.tables
    where table_schema in ${sql(SCHEMAS)} order by 1`;
  const counts: Record<string, number> = {};
  for (const { name } of tables) counts[name] = await count(sql.unsafe(`select count(*)::int as n from ${name}`));
  return counts;
}

/** Every text column of the four schemas holding `value`, exactly or (with `like`) anywhere in it. */
async function columnsHolding(value: string, like = false): Promise<string[]> {
  const columns = await sql<{ schema: string; table: string; column: string }[]>`
    select table_schema as schema, table_name as table, column_name as column from information_schema.columns
    where table_schema in ${sql(SCHEMAS)} and data_type = 'text'`;
  const found: string[] = [];
  for (const c of columns) {
    const test = like ? `"${c.column}" ilike '%' || $1 || '%'` : `"${c.column}" = $1`;
    const n = await count(sql.unsafe(`select count(*)::int as n from "${c.schema}"."${c.table}" where ${test}`, [value]));
    if (n > 0) found.push(`${c.schema}.${c.table}.${c.column}`);
  }
  return found;
}

async function conversationByTitle(title: string): Promise<string | undefined> {
  const [row] = await sql<{ id: string }[]>`select id from im.conversations where tenant_id = 'acme' and title = ${title}`;
  return row?.id;
}

async function directChat(a: string, b: string): Promise<string | undefined> {
  const [row] = await sql<{ id: string }[]>`
    select c.id from im.conversations c where c.tenant_id = 'acme' and c.kind = 'direct'
    and exists (select 1 from im.messages m where m.conversation_id = c.id and m.sender_account_id = ${a})
    and exists (select 1 from im.members m where m.conversation_id = c.id and m.account_id = ${b})
    and (select count(*) from im.members m where m.conversation_id = c.id) = 2`;
  return row?.id;
}

t.test('the demo seed', async (t) => {
  t.same(firstSeed, { seeded: true });
  const tenantIds = await sql<{ id: string }[]>`select id from tenants order by id`;
  t.same(tenantIds.map((r) => r.id), ['acme', 'globex'], 'both demo tenants');
  t.same(await seedDemo(sql, blobs), { seeded: false }, 'a second seed does nothing');

  const tenants = await sql<{ id: string; name: string; features: string[] }[]>`select id, name, features from tenants order by id`;
  t.same(
    tenants.map((r) => [r.id, r.name]),
    [
      ['acme', 'Acme Corp'],
      ['globex', 'Globex Inc'],
    ],
  );
  for (const tenant of tenants) t.same([...tenant.features].sort(), [...FEATURE_IDS].sort(), `${tenant.id} uses every feature`);

  const users = await sql<{ tenant_id: string; account_id: string }[]>`select tenant_id, account_id from clouddrive.users`;
  const of = (tenant: string) => users.filter((u) => u.tenant_id === tenant).map((u) => u.account_id);
  t.ok(of('acme').length >= 20 && of('globex').length >= 10, 'enough people in each tenant');
  t.ok(of('acme').includes('alice') && of('acme').includes('bob'));
  t.same(of('acme').filter((a) => of('globex').includes(a)), [], 'account ids differ between tenants');
  t.ok(users.every((u) => /^[a-z]+$/.test(u.account_id)), 'account ids are short lowercase names');
  t.ok((await count(sql`select count(*)::int as n from im.messages`)) >= 300, 'hundreds of messages');
  t.same(
    (await sql`select distinct kind from im.messages where sender_account_id = 'alice' order by kind`).map((r) => r.kind),
    ['file', 'image', 'text', 'voice'],
    'alice sent messages of all four kinds',
  );
  t.ok((await faceImagesOf('alice')) > 0, 'alice has face images');
  t.ok((await faceImagesOf('bob')) > 0, 'bob has face images');

  const again = connect(await createTestDatabase(t));
  const againDir = await mkdtemp(path.join(os.tmpdir(), 'dsar-features-'));
  t.teardown(async () => {
    await again.close();
    await rm(againDir, { recursive: true, force: true });
  });
  await seedDemo(again.sql, new LocalBlobStore(againDir));
  const digest = (s: typeof sql) => s`select md5(string_agg(m::text, ',' order by m.id)) as d from im.messages m`;
  t.same(await digest(again.sql), await digest(sql), 'the same seed gives the same data');
});

t.test('descriptions map columns to catalogue items of their feature', async (t) => {
  t.same(adapters.map((a) => a.feature), ['im', 'calendar', 'clouddrive', 'clock-in'], 'the four are built in');
  for (const adapter of adapters) {
    const known = itemIds(adapter.feature);
    for (const d of adapter.datasets) {
      for (const [column, item] of Object.entries(d.items)) {
        // `file`: the item the bytes of a row's file carry.
        t.ok(column === 'file' || d.columns.includes(column), `${adapter.feature}.${d.name}.${column} is an output column`);
        t.ok(known.includes(item), `${adapter.feature}.${d.name}.${column}: ${item} is a catalogue item`);
      }
    }
  }
});

t.test('collect alice', async (t) => {
  const records = await collectAll(alice);
  for (const adapter of adapters) {
    const located = await adapter.locate(alice, ctx);
    for (const d of adapter.datasets) {
      const rows = ofDataset(records, `${adapter.feature}/${d.name}`);
      t.equal(rows.length, located[d.name], `${adapter.feature}.${d.name}: collect and locate agree`);
      t.ok(rows.every((r) => Object.keys(r.row).join() === d.columns.join()), `${adapter.feature}.${d.name}: rows have the columns`);
    }
  }
  t.ok(
    records.every((r) => Object.values(r.row).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))),
    'values are JSON-safe',
  );
  const sentAt = ofDataset(records, 'im/messages').map((r) => r.row.sent_at);
  const iso = (v: unknown) => typeof v === 'string' && v.includes('T') && !Number.isNaN(Date.parse(v));
  t.ok(sentAt.every(iso), 'timestamps are ISO strings');

  const expect: [string, PromiseLike<readonly Record<string, unknown>[]>][] = [
    ['im/messages', sql`select count(*)::int as n from im.messages where sender_account_id = 'alice'`],
    ['im/conversations', sql`select count(*)::int as n from im.members where account_id = 'alice'`],
    ['im/memberships', sql`select count(*)::int as n from im.members where account_id = 'alice'`],
    [
      'im/attachments',
      sql`select count(*)::int as n from im.attachments a join im.messages m on m.id = a.message_id
          where m.sender_account_id = 'alice'`,
    ],
    ['im/devices', sql`select count(*)::int as n from im.devices where account_id = 'alice'`],
    [
      'calendar/events',
      sql`select count(*)::int as n from calendar.events e where organizer_account_id = 'alice'
          or exists (select 1 from calendar.attendees a where a.event_id = e.id and a.account_id = 'alice')`,
    ],
    ['calendar/attendance', sql`select count(*)::int as n from calendar.attendees where account_id = 'alice'`],
    ['clouddrive/profile', sql`select count(*)::int as n from clouddrive.users where account_id = 'alice'`],
    ['clouddrive/folders', sql`select count(*)::int as n from clouddrive.folders where owner_account_id = 'alice'`],
    ['clouddrive/files', sql`select count(*)::int as n from clouddrive.files where owner_account_id = 'alice'`],
    ['clock-in/profile', sql`select count(*)::int as n from clock_in.profiles where account_id = 'alice'`],
    ['clock-in/records', sql`select count(*)::int as n from clock_in.records where account_id = 'alice'`],
  ];
  for (const [dataset, query] of expect) {
    const n = await count(query);
    t.ok(n > 0, `alice has ${dataset}`);
    t.equal(ofDataset(records, dataset).length, n, `${dataset} matches the table`);
  }
  t.ok(ofDataset(records, 'im/messages').every((r) => r.row.sender_account_id === 'alice'), 'only her own messages');
  t.ok(ofDataset(records, 'clock-in/records').every((r) => r.row.account_id === 'alice'));
  t.ok(ofDataset(records, 'clouddrive/permissions').some((r) => r.row.account_id === 'bob'), 'who her files are shared with');

  const files = records.filter((r) => r.file);
  const withFiles = records.filter((r) => ['im/attachments', 'clouddrive/files'].includes(r.dataset)).length + (await faceImagesOf('alice'));
  t.equal(files.length, withFiles, 'every attachment, drive file and face image comes with its file');
  for (const { file, dataset } of files) {
    if (!file) continue;
    t.equal(await blobs.size(file.blobKey), file.size, `${dataset}: ${file.name} is stored with its size`);
    t.equal(await blobSha256(file.blobKey), file.sha256, `${dataset}: ${file.name} has its sha256`);
  }
});

t.test('erase alice', async (t) => {
  const phoenix = await conversationByTitle('Project Phoenix');
  const direct = await directChat('alice', 'bob');
  t.ok(phoenix && direct, 'the shared chats exist');
  const shared = await sql<{ id: string }[]>`
    select distinct m.conversation_id as id from im.members m
    where m.account_id = 'alice'
    and exists (select 1 from im.members o where o.conversation_id = m.conversation_id and o.account_id <> 'alice')`;
  const messagesIn = async () =>
    (await sql`select id from im.messages where conversation_id in ${sql(shared.map((c) => c.id))} order by id`).map((r) => r.id);
  const messagesBefore = await messagesIn();
  const aliceInPhoenix = await count(
    sql`select count(*)::int as n from im.messages where conversation_id = ${phoenix!} and sender_account_id = 'alice'`,
  );
  const keys = await blobKeysOf('alice');
  const bobBefore = await collectAll(bob);
  const globexBefore = await tenantCounts('globex');

  const outcomes = await eraseAll(alice);

  t.test('outcomes', async (t) => {
    for (const adapter of adapters) {
      const list = outcomes.get(adapter.feature)!;
      t.same(list.map((o) => o.dataset), adapter.datasets.map((d) => d.name), `${adapter.feature}: one outcome per dataset`);
      for (const o of list) {
        t.ok(o.items.every((i) => itemIds(adapter.feature).includes(i)), `${adapter.feature}.${o.dataset}: items are catalogue items`);
        if (o.anonymized + o.kept > 0) t.match(o.note, /other (person|people)/, `${adapter.feature}.${o.dataset} says why`);
      }
    }
    const messages = outcomes.get('im')!.find((o) => o.dataset === 'messages')!;
    t.ok(messages.anonymized > 0 && messages.deleted > 0);
    t.match(messages.note, /^Kept for the \d+ other people in those conversations, with your authorship removed\.$/);
    t.ok(outcomes.get('clouddrive')!.find((o) => o.dataset === 'files')!.items.includes('uploaded-file-content'));
  });

  t.test('nothing refers to alice any more', async (t) => {
    t.same(await columnsHolding('alice'), [], 'no column holds her account id');
    t.same(await columnsHolding('alice', true), [], 'nor mentions her');
    for (const adapter of adapters) {
      t.ok(Object.values(await adapter.locate(alice, ctx)).every((n) => n === 0), `${adapter.feature}: nothing left to find`);
    }
    const counts = await tableCounts();
    t.same([counts['im.blob_deletions'], counts['clouddrive.blob_deletions'], counts['clock_in.blob_deletions']], [0, 0, 0], 'no bytes left to delete');
  });

  t.test('chats', async (t) => {
    t.same(
      (await sql`select account_id from im.members where conversation_id = ${phoenix!} order by 1`).map((r) => r.account_id),
      ['bob', 'carol', 'dave', 'erin'],
      'the group keeps its other members',
    );
    const anonymousIn = (id: string) =>
      count(sql`select count(*)::int as n from im.messages where conversation_id = ${id} and sender_account_id is null`);
    t.equal(await anonymousIn(phoenix!), aliceInPhoenix, 'her group messages stay without sender');
    t.ok((await anonymousIn(direct!)) > 0, 'her direct messages stay without sender');
    t.same(await messagesIn(), messagesBefore, 'the other members still have every message');
    t.equal(await conversationByTitle('Reading list'), undefined, 'a chat only she was in is gone');
    t.equal(await conversationByTitle('Offsite planning'), undefined, 'with what others left in it');
    t.equal(await count(sql`select count(*)::int as n from im.members where conversation_id not in (select id from im.conversations)`), 0);
  });

  t.test('events', async (t) => {
    const kickoff = await sql`select id, organizer_account_id from calendar.events where title = 'Project Phoenix kickoff'`;
    t.equal(kickoff.length, 1, 'her event with others stays');
    t.equal(kickoff[0]?.organizer_account_id, null, 'without organizer');
    const attendees = await sql`select account_id from calendar.attendees where event_id = ${kickoff[0]!.id} order by 1`;
    t.same(attendees.map((r) => r.account_id), ['bob', 'carol'], 'her attendance is gone, the others stay');
    t.equal(await count(sql`select count(*)::int as n from calendar.events where title = 'Focus time'`), 0, 'her event alone is gone');
    const [review] = await sql`select organizer_account_id from calendar.events where title = 'Quarterly pipeline review'`;
    t.equal(review?.organizer_account_id, 'bob', "bob's event is his still");
  });

  t.test('files', async (t) => {
    const folders = await sql`
      select name, owner_account_id from clouddrive.folders
      where name in ('Project Phoenix', 'Assets', 'Personal', 'Receipts') order by name`;
    t.same(
      folders.map((f) => [f.name, f.owner_account_id]),
      [
        ['Assets', null],
        ['Project Phoenix', null],
      ],
      'shared folders stay without owner, the others are gone',
    );
    const [photo] = await sql`select owner_account_id, blob_key from clouddrive.files where name = 'team-photo.png'`;
    t.equal(photo?.owner_account_id, null, 'a file shared with one person stays without owner');
    t.equal(await count(sql`select count(*)::int as n from clouddrive.files where name = 'draft.md'`), 0, 'an unshared file is gone');
    const bobsInPhoenix = await count(sql`
      select count(*)::int as n from clouddrive.files f join clouddrive.folders d on d.id = f.folder_id
      where d.name = 'Project Phoenix' and f.owner_account_id = 'bob'`);
    t.ok(bobsInPhoenix > 0, "bob's file in her folder stays his");
    const decks = await count(sql`
      select count(*)::int as n from clouddrive.permissions p join clouddrive.folders f on f.id = p.folder_id
      where f.name = 'Sales decks'`);
    t.equal(decks, 0, 'what bob shared with her is no longer shared');
  });

  t.test('file bytes', async (t) => {
    const kept = new Set(
      [
        ...(await sql`select blob_key from im.attachments`),
        ...(await sql`select blob_key from clouddrive.files`),
        ...(await sql`select face_image_key as blob_key from clock_in.records where face_image_key is not null`),
      ].map((r) => r.blob_key as string),
    );
    t.ok(keys.some((k) => kept.has(k)) && keys.some((k) => !kept.has(k)), 'some of her files stay, some go');
    for (const key of keys) t.equal(await blobExists(key), kept.has(key), `${key} ${kept.has(key) ? 'stays' : 'is gone'}`);
    const all = await sql`
      select blob_key from im.attachments union all select blob_key from clouddrive.files
      union all select face_image_key from clock_in.records where face_image_key is not null`;
    const missing = [];
    for (const { blob_key } of all) if (!(await blobExists(blob_key))) missing.push(blob_key);
    t.same(missing, [], 'every remaining row still has its bytes');
    // Keys are <feature>/<tenant>/<uuid>; the other features keep their bytes in the same store.
    const stored = (await readdir(blobDir, { recursive: true })).filter((p) => /^(im|clouddrive|clock-in)\/[^/]+\/[^/]+$/.test(p));
    t.equal(stored.length, all.length, 'and no bytes are left without a row');
    t.equal(await count(sql`select count(*)::int as n from clock_in.records where account_id = 'alice'`), 0, 'her clock-ins are gone');
  });

  t.test('bob and globex keep their data', async (t) => {
    // What changes for bob is only that alice is gone: she no longer organizes, nor has his folder shared.
    const expected = bobBefore
      .filter((r) => !(r.dataset === 'clouddrive/permissions' && r.row.account_id === 'alice'))
      .map((r) => ({ ...r, row: Object.fromEntries(Object.entries(r.row).map(([k, v]) => [k, v === 'alice' ? null : v])) }));
    t.same(sortRecords(await collectAll(bob)), sortRecords(expected));
    for (const r of bobBefore) if (r.file) t.ok(await blobExists(r.file.blobKey), `${r.dataset}: ${r.file.name} has its bytes`);
    t.same(await tenantCounts('globex'), globexBefore);
  });

  t.test('erasing again changes nothing', async (t) => {
    const before = await tableCounts();
    const again = await eraseAll(alice);
    for (const [feature, list] of again) {
      t.ok(list.every((o) => o.deleted === 0 && o.anonymized === 0 && o.kept === 0), `${feature}: nothing to do`);
    }
    t.same(await tableCounts(), before);
  });
});

t.test('bytes an erasure left when it stopped after its commit go with the next one', async (t) => {
  const [record] = await sql`select face_image_key as key from clock_in.records where tenant_id = 'acme' and face_image_key is not null limit 1`;
  const key = record!.key as string;
  await sql`update clock_in.records set face_image_key = null where face_image_key = ${key}`;
  await sql`insert into clock_in.blob_deletions (blob_key, tenant_id) values (${key}, 'acme')`;
  await builtInAdapters.get('clock-in')!.erase({ tenantId: 'acme', accountId: 'nobody' }, ctx);
  t.notOk(await blobExists(key));
  t.equal(await count(sql`select count(*)::int as n from clock_in.blob_deletions`), 0);
});

t.test('two people erased at once from the same direct chat leave nothing of it behind', async (t) => {
  const [chat] = await sql<{ id: string; a: string; b: string }[]>`
    select c.id, min(m.account_id) as a, max(m.account_id) as b from im.conversations c join im.members m on m.conversation_id = c.id
    where c.tenant_id = 'globex' and c.kind = 'direct' group by c.id order by c.id limit 1`;
  const im = builtInAdapters.get('im')!;
  const [first, second] = [chat!.a, chat!.b].map((accountId) => ({ tenantId: 'globex', accountId }));
  await Promise.all([im.erase(first!, ctx), im.erase(second!, ctx)]);
  t.equal(await count(sql`select count(*)::int as n from im.conversations where id = ${chat!.id}`), 0);
  t.equal(await count(sql`select count(*)::int as n from im.messages where conversation_id = ${chat!.id}`), 0);
});

function faceImagesOf(account: string): Promise<number> {
  return count(sql`select count(*)::int as n from clock_in.records where account_id = ${account} and face_image_key is not null`);
}

async function blobKeysOf(account: string): Promise<string[]> {
  const rows = await sql`
    select a.blob_key from im.attachments a join im.messages m on m.id = a.message_id where m.sender_account_id = ${account}
    union all select blob_key from clouddrive.files where owner_account_id = ${account}
    union all select face_image_key from clock_in.records where account_id = ${account} and face_image_key is not null`;
  return rows.map((r) => r.blob_key as string);
}

async function tenantCounts(tenant: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of Object.keys(await tableCounts())) {
    if (name.endsWith('.blob_deletions')) continue;
    counts[name] = await count(sql.unsafe(`select count(*)::int as n from ${name} where tenant_id = $1`, [tenant]));
  }
  return counts;
}

function sortRecords(records: PartialRecord[]): string[] {
  return records.map((r) => JSON.stringify(r)).sort();
}
