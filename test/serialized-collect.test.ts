import t from 'tap';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { LocalBlobStore, type BlobStore, type BlobWriter } from '../src/blobs/blob-store.js';
import { EncryptedBlobStore } from '../src/blobs/encrypted-blob-store.js';
import { connect } from '../src/db/client.js';
import { seedDemo } from '../src/demo/seed.js';
import {
  collectForPartial,
  isSerializedRows,
  type AdapterContext,
  type Collected,
  type FeatureAdapter,
  type Subject,
} from '../src/features/adapter.js';
import { dataset, declarativeAdapter, expression, type ColumnOf, type DatasetSpec } from '../src/features/declarative.js';
import { messages } from '../src/features/im/tables.js';
import { builtInAdapters } from '../src/features/registry.js';
import { csvRecord, csvRow } from '../src/results/export/csv.js';
import { renderDataset } from '../src/results/export/row-renderer.js';
import { spoolBytes, readDataset, readSpoolIndex, writePartial, type PartialRecord, type SpoolIndex } from '../src/results/partials/partials.js';
import { TextPreparation } from '../src/results/export/text-preparation.js';
import { createTestDatabase } from './helper.js';

/**
 * The fast collect (`collectSerialized`: datasets without files copied out of Postgres as spool
 * lines, large ones by two backends) must write the same partial as the collect of one record per
 * row: the same rows, in the same order, for every feature and policy.
 */

const url = await createTestDatabase(t);
const db = connect(url);
const sql = db.sql;
const blobDir = await mkdtemp(path.join(os.tmpdir(), 'dsar-serialized-'));
const blobs = new LocalBlobStore(blobDir);
const log = pino({ level: 'silent' });
t.teardown(async () => {
  await db.close();
  await rm(blobDir, { recursive: true, force: true });
});
await seedDemo(sql, blobs);

const alice: Subject = { tenantId: 'acme', accountId: 'alice' };

/** Passes a collect through, counting what came as records and as serialized datasets. */
async function* tallied(items: AsyncIterable<Collected>, tally: { records: number; serialized: number }) {
  for await (const item of items) {
    if (isSerializedRows(item)) tally.serialized += 1;
    else tally.records += 1;
    yield item;
  }
}

async function datasetsOf(index: SpoolIndex, store: BlobStore = blobs): Promise<Record<string, PartialRecord[]>> {
  const out: Record<string, PartialRecord[]> = {};
  for (const name of Object.keys(index.datasets).sort()) {
    out[name] = [];
    for await (const record of readDataset(store, index, name)) out[name].push(record);
  }
  return out;
}

async function both(adapter: FeatureAdapter, subject: Subject, ctx: AdapterContext, store: BlobStore = blobs) {
  const prefix = `t/${randomUUID()}`;
  const tally = { records: 0, serialized: 0 };
  const datasets = adapter.describe ? await adapter.describe(ctx) : adapter.datasets;
  const fastCounts = await writePartial(store, `${prefix}/fast.ndjson`, tallied(collectForPartial(adapter, subject, ctx), tally), datasets);
  const slowCounts = await writePartial(store, `${prefix}/slow.ndjson`, adapter.collect(subject, ctx), datasets);
  const fast = (await readSpoolIndex(store, `${prefix}/fast.ndjson`))!;
  const slow = (await readSpoolIndex(store, `${prefix}/slow.ndjson`))!;
  return { tally, fastCounts, slowCounts, fast, slow, fastRows: await datasetsOf(fast, store), slowRows: await datasetsOf(slow, store) };
}

t.test('every built-in feature writes the same partial either way', async (t) => {
  let serialized = 0;
  for (const policy of [undefined, 'own_only', 'pseudonymized'] as const) {
    const ctx: AdapterContext = { sql, blobs, log, requestId: randomUUID(), ...(policy && { policy: { sharedData: policy } }) };
    for (const adapter of builtInAdapters.values()) {
      const r = await both(adapter, alice, ctx);
      const label = `${adapter.feature} (${policy ?? 'no policy'})`;
      t.same(r.fastCounts, r.slowCounts, `${label}: counts`);
      t.same(r.fastRows, r.slowRows, `${label}: rows`);
      for (const name of Object.keys(r.slow.datasets)) {
        t.equal(r.fast.datasets[name]?.bytes, r.slow.datasets[name]?.bytes, `${label}: ${name} bytes`);
      }
      // Pseudonymization needs each row's values: nothing goes through serialized.
      if (policy === 'pseudonymized' && adapter.feature === 'im') t.equal(r.tally.serialized, 0, 'im pseudonymized: rows one by one');
      serialized += r.tally.serialized;
    }
  }
  t.ok(serialized > 50, `datasets went through COPY (${serialized})`);
  const im = await both(builtInAdapters.get('im')!, alice, { sql, blobs, log });
  t.ok(im.fastRows.messages!.length > 0, 'alice has messages');
  t.equal(im.tally.serialized, 4, 'im: the four datasets without files serialized');
  t.equal(im.tally.records, im.fastRows.attachments!.length, 'and the attachments, with their files, as records');
});

/** A subject with many messages, some at the same instant (the split must not lose or repeat a tie). */
async function manyMessages(accountId: string, count: number): Promise<void> {
  const [conversation] = await sql`select id from im.conversations where tenant_id = 'acme' limit 1`;
  await sql`
    insert into im.messages (tenant_id, conversation_id, sender_account_id, kind, body, sent_at)
    select 'acme', ${conversation!.id}, ${accountId}, 'text',
           case when n % 7 = 0 then null else 'message ' || n || E' with "quotes", a tab\t, a newline\n and é' end,
           timestamptz '2026-01-01' + (n / 3) * interval '1 second'
    from generate_series(1, ${count}) as n`;
  await sql`analyze im.messages`;
}

const messagesSpec = (overrides: Partial<DatasetSpec<ColumnOf<typeof messages>>>): DatasetSpec =>
  dataset({
    name: 'messages',
    title: 'Messages',
    table: messages,
    where: 'messages.sender_account_id = :account',
    columns: { id: null, senderAccountId: null, body: null, sentAt: null },
    orderBy: ['sentAt', 'id'],
    ...overrides,
  });

t.test('a large dataset is copied in two halves that join up exactly', async (t) => {
  await manyMessages('many', 3000);
  const subject: Subject = { tenantId: 'acme', accountId: 'many' };
  const ctx: AdapterContext = { sql, blobs, log };
  const split = declarativeAdapter({ feature: 'im', datasets: [messagesSpec({})] }, { splitRows: 1000 });
  const r = await both(split, subject, ctx);
  const spool = r.fast.datasets.messages!;
  t.equal(spool.continued?.length, 1, 'two parts');
  t.equal(spool.rows, 3000);
  // One index format, whether or not a spool continues in more blobs.
  const indexDir = path.dirname(spool.key);
  t.same(await Promise.all(['index.json', 'index-parts.json'].map((f) => blobs.size(`${indexDir}/${f}`).then(Boolean))), [true, false], 'index.json only');
  t.same(r.fastRows, r.slowRows, 'the same rows in the same order');
  const ids = r.fastRows.messages!.map((m) => m.row.id);
  t.equal(new Set(ids).size, 3000, 'no row twice');
  const parts = await Promise.all([spool.key, ...spool.continued!].map((key) => blobs.size(key)));
  t.ok(parts.every((size) => size! > 100_000), `both parts hold rows (${parts.join(', ')} bytes)`);
  t.ok(r.fastRows.messages!.some((m) => m.row.body === null) && r.fastRows.messages!.some((m) => String(m.row.body).includes('\t')), 'nulls and tabs kept');
  // The table's size is kept by the adapter: a large table still asks for the subject's estimate.
  const again = await both(split, subject, ctx);
  t.equal(again.fast.datasets.messages!.continued?.length, 1, 'two parts again, the table size kept');

  // A nullable sort column could put a row in neither half; an expression cannot be compared: one part.
  const orders = { 'body, id': ['body', 'id'], 'sent_at desc, id': [expression('sent_at desc'), 'id'] } as const;
  for (const [orderBy, terms] of Object.entries(orders)) {
    const whole = declarativeAdapter({ feature: 'im', datasets: [messagesSpec({ orderBy: [...terms] })] }, { splitRows: 1000 });
    const w = await both(whole, subject, ctx);
    t.equal(w.fast.datasets.messages!.continued, undefined, `order by ${orderBy}: not split`);
    t.same(w.fastRows, w.slowRows, `order by ${orderBy}: same rows`);
  }
  // Fewer rows than the planner expects: no key at the middle, one part.
  const fewer = declarativeAdapter({ feature: 'im', datasets: [messagesSpec({ where: "messages.sender_account_id = :account and messages.body like 'message 1%'" })] }, { splitRows: 1 });
  const f = await both(fewer, subject, ctx);
  t.same(f.fastRows, f.slowRows, 'a filtered dataset: same rows');
  const none = await both(split, { tenantId: 'acme', accountId: 'nobody' }, ctx);
  t.same(none.fast.datasets, {}, 'no rows: no spool');
  t.same(none.fastCounts, { messages: 0 });
});

t.test('a spool in two parts, encrypted at rest, becomes the same JSON and CSV inline and in the text worker', async (t) => {
  const store = new EncryptedBlobStore(new LocalBlobStore(path.join(blobDir, 'encrypted')), randomBytes(32));
  const split = declarativeAdapter({ feature: 'im', datasets: [messagesSpec({})] }, { splitRows: 1000 });
  const r = await both(split, { tenantId: 'acme', accountId: 'many' }, { sql, blobs, log }, store);
  const spool = r.fast.datasets.messages!;
  t.equal(spool.continued?.length, 1, 'two parts');
  t.same(r.fastRows, r.slowRows, 'the same rows through decryption');

  const rows = r.slowRows.messages!.map((m) => m.row);
  const columns = split.datasets[0]!.columns;
  const json: Buffer[] = [];
  for await (const chunk of renderDataset(spoolBytes(store, spool), { kind: 'json', columns })) json.push(chunk);
  t.same(JSON.parse(Buffer.concat(json).toString('utf8')), rows, 'inline JSON: every row in order');

  const text = new TextPreparation(store, `work/${randomUUID()}/prepared`);
  t.teardown(() => text.close());
  text.prepare(spool, [
    { path: 'messages.json', job: { kind: 'json', columns } },
    { path: 'messages.csv', job: { kind: 'csv', columns } },
  ]);
  const inflated = async (path: string) => {
    const prepared = (await text.take(path))!;
    const deflated: Buffer[] = [];
    for await (const chunk of store.get(prepared.key)) deflated.push(chunk as Buffer);
    const bytes = inflateRawSync(Buffer.concat(deflated));
    t.equal(bytes.length, prepared.size, `${path}: size as measured`);
    return bytes.toString('utf8');
  };
  t.same(JSON.parse(await inflated('messages.json')), rows, 'worker JSON: every row in order');
  const csv = await inflated('messages.csv');
  t.equal(csv, csvRecord(columns) + rows.map((row) => csvRow(row, columns)).join(''), 'worker CSV: every row in order');
});

/** A store whose writers take one byte at a time, slowly, or fail after some bytes. */
class AwkwardStore extends LocalBlobStore {
  constructor(
    root: string,
    private readonly failAfter?: number,
  ) {
    super(root);
  }

  override async writer(key: string): Promise<BlobWriter> {
    const inner = await super.writer(key);
    let written = 0;
    const failAfter = this.failAfter;
    const stream = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        if (failAfter !== undefined && written > failAfter) return callback(new Error('disk full'));
        setTimeout(() => inner.stream.write(chunk, () => callback()), 1);
      },
    });
    return {
      stream,
      commit: async () => {
        await new Promise<void>((resolve) => stream.end(resolve));
        await inner.commit();
      },
      abort: async () => {
        stream.destroy();
        await inner.abort();
      },
    };
  }
}

t.test('a late, slow or failing reader leaves the connection usable', async (t) => {
  // One connection: a COPY that left it waiting would hang the next query.
  const single = connect(url, { max: 1 });
  t.teardown(() => single.close());
  const ctx: AdapterContext = { sql: single.sql, blobs, log };
  const subject: Subject = { tenantId: 'acme', accountId: 'many' };
  const adapter = declarativeAdapter({ feature: 'im', datasets: [messagesSpec({})] });
  // ~40 KB, read only once it has all arrived: it fills the stream's buffer, postgres.js pauses its
  // socket (porsager/postgres#499), and the stream ends before anything is read.
  await manyMessages('some', 250);
  for (let i = 0; i < 3; i++) {
    let bytes = 0;
    for await (const item of adapter.collectSerialized!({ tenantId: 'acme', accountId: 'some' }, ctx)) {
      if (!isSerializedRows(item)) continue;
      for (const part of item.parts) {
        await part(async (lines) => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          for await (const chunk of lines) bytes += (chunk as Buffer).length;
        });
      }
    }
    t.ok(bytes > 20_000, `a late reader gets the dataset (${bytes} bytes), run ${i + 1}`);
  }
  t.same(await single.sql`select 1 as ok`, [{ ok: 1 }], 'the connection answers after it');
  const slow = new AwkwardStore(path.join(blobDir, 'slow'));
  for (let i = 0; i < 3; i++) {
    const counts = await writePartial(slow, `slow/${i}.ndjson`, collectForPartial(adapter, subject, ctx), adapter.datasets);
    t.same(counts, { messages: 3000 }, `slow writes, run ${i + 1}`);
    t.same(await single.sql`select 1 as ok`, [{ ok: 1 }], 'the connection answers after it');
  }
  const failing = new AwkwardStore(path.join(blobDir, 'failing'), 200_000);
  await t.rejects(writePartial(failing, 'failing/p.ndjson', collectForPartial(adapter, subject, ctx), adapter.datasets), /disk full/);
  t.same(await single.sql`select 1 as ok`, [{ ok: 1 }], 'the connection answers after a failed copy');
  t.same(await readSpoolIndex(failing, 'failing/p.ndjson'), undefined, 'no index for a failed partial');
  const left = await readdir(path.join(blobDir, 'failing/failing/p.ndjson.datasets')).catch(() => []);
  t.same(left.filter((f) => f.endsWith('.partial')), [], 'no half-written blob left');
});
