import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { auth, createRequest, startSystem, waitForEnd, type TestSystem } from './helper.js';
import { ZipFile } from './zip.js';
import { catalogue } from '../src/catalogue/catalogue.js';
import { verifyReceipt } from '../src/results/receipt/receipt-signing.js';
import { withDatabase } from '../src/db/migrate.js';
import { receiptDigest } from '../src/results/receipt/receipt-signing.js';
import { readTestServices } from './setup/services.js';

// Requests driven through the HTTP API and the real worker, results checked against the stores.
const sys = await startSystem(t);
const { app, keys, ctx } = sys;
const sql = ctx.database.sql;
const FEATURES = catalogue.features.map((f) => f.id);
/** Each feature's store is the Postgres schema named after it. */
const schemaOf = (feature: string) => feature.replaceAll('-', '_');
const STORE_SCHEMAS = FEATURES.map(schemaOf);

async function download(sys: TestSystem, id: string, key = keys.acme) {
  const res = await sys.app.inject({ method: 'GET', url: `/v1/requests/${id}/report`, headers: auth(key) });
  if (res.statusCode !== 200) throw new Error(`report: ${res.statusCode} ${res.body}`);
  return res;
}

async function run(body: object, key = keys.acme) {
  const created = await createRequest(sys, body, key);
  return waitForEnd(sys, created.id, key);
}

/** Every text value in the four feature stores that equals `value`, as schema.table.column. */
async function referencesTo(value: string): Promise<string[]> {
  const columns = await sql<{ table_schema: string; table_name: string; column_name: string }[]>`
    select table_schema, table_name, column_name from information_schema.columns
    where table_schema in ${sql(STORE_SCHEMAS)} and data_type = 'text'`;
  const found: string[] = [];
  for (const c of columns) {
    const [row] = await sql`select count(*)::int as n from ${sql(c.table_schema)}.${sql(c.table_name)}
      where tenant_id = 'acme' and ${sql(c.column_name)} = ${value}`;
    if (row?.n) found.push(`${c.table_schema}.${c.table_name}.${c.column_name}`);
  }
  return found;
}

type ItemAccount = { id: string; outcome: string };

/** Every catalogue item of every feature is accounted for exactly once, with an outcome. */
function accountsForEveryItem(t: Test, features: { id: string; items: ItemAccount[] }[], where: string) {
  for (const feature of catalogue.features) {
    const items = features.find((f) => f.id === feature.id)?.items ?? [];
    t.same(items.map((i) => i.id), feature.items.map((i) => i.id), `${where}: every ${feature.id} item once`);
    t.ok(items.every((i) => typeof i.outcome === 'string'), `${where}: every ${feature.id} item has an outcome`);
  }
}

t.test('access: a readable zip with index.html, data.json and the files', async (t) => {
  const done = await run({ type: 'access', subject: { accountId: 'alice' } });
  t.equal(done.status, 'completed');
  t.equal(done.tasks.length, catalogue.features.length);
  for (const task of done.tasks) {
    t.equal(task.status, 'completed', task.feature);
  }
  const [messages] = await sql`select count(*)::int as n from im.messages where tenant_id = 'acme' and sender_account_id = 'alice'`;
  const im = done.tasks.find((x: { feature: string }) => x.feature === 'im');
  t.equal(im.counts.messages, messages!.n, 'task counts what the store holds');
  t.ok(messages!.n > 0);
  const [ran] = await sql`select started_at, finished_at from tasks where request_id = ${done.id} and feature = 'im'`;
  const ranAt = [ran!.started_at, ran!.finished_at].map((at) => new Date(at).toISOString());
  t.same([im.startedAt, im.finishedAt], ranAt, 'when the task ran, as stored (to the millisecond)');

  const res = await download(sys, done.id);
  t.equal(res.headers['content-type'], 'application/zip');
  t.equal(createHash('sha256').update(res.rawPayload).digest('hex'), done.result.sha256, 'digest in the request matches the bytes');
  const zip = new ZipFile(res.rawPayload);
  const names = zip.names();
  t.ok(names.includes('index.html') && names.includes('data.json'));

  const data = zip.json('data.json');
  t.equal(data.features.length, catalogue.features.length, 'every catalogue feature has a section');
  accountsForEveryItem(t, data.features, 'data.json');
  const imData = data.features.find((f: { id: string }) => f.id === 'im');
  t.equal(imData.datasets.messages.length, messages!.n);
  const imContent = imData.items.find((i: ItemAccount) => i.id === 'im-content');
  t.equal(imContent.outcome, 'found');
  t.ok(imContent.count >= messages!.n, 'her messages count among the rows carrying IM content');
  const stored = await sql`select id::text, body from im.messages where tenant_id = 'acme' and sender_account_id = 'alice' order by id`;
  t.same(
    imData.datasets.messages.map((m: { id: string }) => m.id).sort(),
    stored.map((m) => m.id).sort(),
    'exactly the messages alice sent',
  );
  const [clockins] = await sql`select count(*)::int as n from clock_in.records where tenant_id = 'acme' and account_id = 'alice'`;
  t.equal(data.features.find((f: { id: string }) => f.id === 'clock-in').datasets.records.length, clockins!.n);

  // Original files: every file a row points to is in the archive with the bytes the blob store holds.
  type Row = Record<string, unknown> & { file?: string | null };
  const fileRows: Row[] = data.features.flatMap((f: { datasets: Record<string, Row[]> }) =>
    Object.values(f.datasets).flatMap((rows) => rows.filter((r) => typeof r.file === 'string')),
  );
  t.ok(fileRows.length > 0, 'alice has files (drive files, attachments, face images)');
  t.ok(fileRows.every((r) => names.includes(r.file!)), 'every file a row points to is in the archive');
  const [driveFile] = await sql`select id::text, sha256 from clouddrive.files where tenant_id = 'acme' and owner_account_id = 'alice' limit 1`;
  const driveRows: Row[] = data.features.find((f: { id: string }) => f.id === 'clouddrive').datasets.files;
  const archived = driveRows.find((r) => r.id === driveFile!.id);
  t.ok(archived?.file, 'a drive file of alice is in the archive');
  t.equal(createHash('sha256').update(zip.read(archived!.file!)).digest('hex'), driveFile!.sha256, 'with its original bytes');

  const html = zip.text('index.html');
  for (const feature of catalogue.features) t.match(html, feature.name.replaceAll('&', '&amp;'), `index.html has ${feature.id}`);
  // Data may mention URLs as text (a meeting link); the page itself loads nothing from anywhere.
  t.notMatch(html, /<script\b|(?:src|href)\s*=\s*["']?(?:https?:)?\/\/|url\(\s*["']?(?:https?:)?\/\//i, 'offline: no scripts, no external resources');
  const plain = stored.find((m) => /^[\w ,.!?]+$/.test(m.body ?? ''));
  t.ok(plain && html.includes(plain.body), 'shows a message alice sent');
});

t.test('export: JSON and CSV per dataset, files, manifest with SHA-256 and size', async (t) => {
  const done = await run({ type: 'export', subject: { accountId: 'bob' }, features: ['im', 'calendar', 'clouddrive', 'clock-in'] });
  t.equal(done.status, 'completed');
  const zip = new ZipFile((await download(sys, done.id)).rawPayload);
  const names = zip.names();
  const manifest = zip.json('manifest.json');
  t.same(
    manifest.files.map((f: { path: string }) => f.path).sort(),
    names.filter((n) => n !== 'manifest.json' && !n.endsWith('/')).sort(),
    'manifest lists every other entry',
  );
  for (const entry of manifest.files) {
    const bytes = zip.read(entry.path);
    t.equal(bytes.length, entry.size, `${entry.path} size`);
    t.equal(createHash('sha256').update(bytes).digest('hex'), entry.sha256, `${entry.path} sha256`);
  }
  const [events] = await sql`select count(distinct e.id)::int as n from calendar.events e
    left join calendar.attendees a on a.event_id = e.id
    where e.tenant_id = 'acme' and (e.organizer_account_id = 'bob' or a.account_id = 'bob')`;
  const json = zip.json('calendar/events.json');
  t.equal(json.length, events!.n, 'events bob organizes or attends');
  const csv = zip.text('calendar/events.csv').trimEnd().split(/\r?\n/);
  t.ok(csv[0]!.split(',').includes('title'), 'CSV header');
  t.ok(csv.length - 1 >= json.length, 'a CSV line (or more, for multi-line cells) per row');
});

t.test('deletion: the subject is gone, the others keep what is theirs', async (t) => {
  const conversationsOfBob = await sql`select m.conversation_id::text as id, count(msg.id)::int as n
    from im.members m join im.messages msg on msg.conversation_id = m.conversation_id
    where m.tenant_id = 'acme' and m.account_id = 'bob' group by 1 order by 1`;
  const [shared] = await sql`select count(*)::int as n from im.messages msg
    join im.members m on m.conversation_id = msg.conversation_id and m.account_id = 'bob'
    where msg.sender_account_id = 'alice'`;
  t.ok(shared!.n > 0, 'alice wrote in conversations bob is in');
  t.ok((await referencesTo('alice')).length > 0, 'alice is in the stores before');

  const done = await run({ type: 'deletion', subject: { accountId: 'alice' } });
  t.equal(done.status, 'completed');

  const after = await sql`select m.conversation_id::text as id, count(msg.id)::int as n
    from im.members m join im.messages msg on msg.conversation_id = m.conversation_id
    where m.tenant_id = 'acme' and m.account_id = 'bob' group by 1 order by 1`;
  t.same(after, conversationsOfBob, "bob still sees every conversation and every message in it");

  const res = await download(sys, done.id);
  t.equal(res.headers['content-type'], 'application/json');
  const receipt = res.json();
  t.equal(receipt.features.length, catalogue.features.length);
  t.equal(receipt.status, done.status, "the receipt repeats the request's status");
  const { digest, signature, ...body } = receipt;
  t.equal(digest, receiptDigest(body), 'the digest covers the body');
  const key = (await app.inject({ method: 'GET', url: '/v1/receipts/public-key', headers: auth(keys.acme) })).json();
  t.equal(signature.keyId, key.keyId, 'signed with the served key');
  t.ok(verifyReceipt(receipt, key.publicKeyPem), 'the signature verifies with the public key');
  t.notOk(verifyReceipt({ ...receipt, accountId: 'mallory' }, key.publicKeyPem), 'and fails once anything changes');
  const page = await app.inject({ method: 'GET', url: `/v1/requests/${done.id}/receipt`, headers: auth(keys.acme) });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.ok(page.body.includes(digest), 'the readable receipt shows the digest');
  accountsForEveryItem(t, receipt.features, 'the receipt');
  const im = receipt.features.find((f: { id: string }) => f.id === 'im');
  const messages = im.datasets.find((d: { dataset: string }) => d.dataset === 'messages');
  t.ok(messages.anonymized >= shared!.n, 'messages in shared conversations anonymized');
  t.match(messages.note ?? '', /./, 'says why they were kept');
  const clockIn = receipt.features.find((f: { id: string }) => f.id === 'clock-in');
  t.ok(clockIn.datasets.every((d: { anonymized: number; kept: number }) => d.anonymized === 0 && d.kept === 0), 'clock-in is deleted outright');
  t.ok(clockIn.items.every((i: ItemAccount) => i.outcome === 'deleted'), 'so is every clock-in item');

  // Retention: what the law makes us keep is named, with its reason and end date; nothing else is left.
  type Dataset = { dataset: string; retained?: number; retainedUntil?: string; retentionReason?: string };
  const retained = new Map<string, Dataset>();
  for (const feature of receipt.features) {
    t.equal(feature.status, 'completed', `${feature.id} erased`);
    for (const d of feature.datasets as Dataset[]) {
      if (!d.retained) continue;
      retained.set(`${feature.id}.${d.dataset}`, d);
      t.ok(d.retentionReason && d.retentionReason.length > 10, `${feature.id}.${d.dataset} says why it is kept`);
      t.ok(new Date(d.retainedUntil!) > new Date(), `${feature.id}.${d.dataset} says until when: ${d.retainedUntil}`);
    }
    for (const item of feature.items.filter((i: ItemAccount) => i.outcome === 'retained')) {
      t.ok(item.reason && item.until, `${feature.id}.${item.id}: retained with reason and end date`);
    }
  }
  t.ok(retained.size > 0, 'security logs, console logs and payments are retained');
  const left = await referencesTo('alice');
  const retainingSchemas = new Set([...retained.keys()].map((k) => schemaOf(k.split('.')[0]!)));
  t.same(left.filter((ref) => !retainingSchemas.has(ref.split('.')[0]!)), [], 'only retained rows still name alice');

  const again = await run({ type: 'access', subject: { accountId: 'alice' } });
  t.equal(again.status, 'completed');
  const data = new ZipFile((await download(sys, again.id)).rawPayload).json('data.json');
  for (const feature of data.features) {
    for (const [name, rows] of Object.entries(feature.datasets as Record<string, unknown[]>)) {
      const keep = retained.get(`${feature.id}.${name}`)?.retained ?? 0;
      t.equal(rows.length, keep, keep ? `${feature.id}.${name}: only the retained rows` : `nothing of alice's left in ${feature.id}.${name}`);
    }
  }
});

t.test('a subject with no data gets a complete result saying so', async (t) => {
  const done = await run({ type: 'access', subject: { accountId: 'nobody-at-all' } });
  t.equal(done.status, 'completed');
  const zip = new ZipFile((await download(sys, done.id)).rawPayload);
  t.equal(zip.json('data.json').features.length, catalogue.features.length);
  t.match(zip.text('index.html'), /hold no data/i);
});

t.test('a feature that keeps failing leaves the request partially completed, with the reason', async (t) => {
  const broken = await startSystem(t, {
    // A real connection that fails: the calendar's own database does not exist.
    FEATURE_DATABASE_URL_CALENDAR: withDatabase(readTestServices().postgresUrl, 'no_such_database'),
  });
  const created = await createRequest(broken, { type: 'access', subject: { accountId: 'alice' }, features: ['im', 'calendar'] });
  const done = await waitForEnd(broken, created.id);
  t.equal(done.status, 'partially_completed');
  const calendar = done.tasks.find((x: { feature: string }) => x.feature === 'calendar');
  t.equal(calendar.status, 'failed');
  t.match(calendar.error, /no_such_database|does not exist/);
  t.equal(done.tasks.find((x: { feature: string }) => x.feature === 'im').status, 'completed');
  const data = new ZipFile((await download(broken, done.id, broken.keys.acme)).rawPayload).json('data.json');
  t.match(data.features.find((f: { id: string }) => f.id === 'calendar'), { status: 'failed' });
  const events = await broken.ctx.repo.events(done.id);
  t.equal(events.filter((e) => e.kind === 'task_attempt_failed').length, 2, 'retried, each attempt recorded');
});

t.test('a request stored but never queued (crash) is picked up by the reconciler', async (t) => {
  const [row] = await sql`insert into requests (tenant_id, type, status, subject_account_id, features, catalogue_version, due_at, created_at, updated_at)
    values ('acme', 'access', 'received', 'bob', ${sql.array(['clock-in'])}, ${catalogue.version}, now() + interval '30 days', now() - interval '1 minute', now() - interval '1 minute')
    returning id::text`;
  await sql`insert into tasks (request_id, feature, status) values (${row!.id}, 'clock-in', 'pending')`;
  t.ok((await sys.worker.reconcile()) >= 1);
  const done = await waitForEnd(sys, row!.id);
  t.equal(done.status, 'completed');
});

t.test('no personal data in Redis: jobs carry ids only', async (t) => {
  const keysInRedis = await ctx.redis.keys(`${ctx.config.queuePrefix}:*`);
  t.ok(keysInRedis.length > 0);
  for (const key of keysInRedis) {
    const type = await ctx.redis.type(key);
    const dump =
      type === 'hash' ? JSON.stringify(await ctx.redis.hgetall(key))
      : type === 'string' ? String(await ctx.redis.get(key))
      : type === 'list' ? JSON.stringify(await ctx.redis.lrange(key, 0, -1))
      : type === 'zset' ? JSON.stringify(await ctx.redis.zrange(key, 0, -1))
      : type === 'set' ? JSON.stringify(await ctx.redis.smembers(key))
      : '';
    t.notMatch(dump, /alice|bob|nobody-at-all/, `${key} holds no account id`);
  }
});
