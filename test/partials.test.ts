import t from 'tap';
import { LocalBlobStore } from '../src/blobs/blob-store.js';
import { RowJson, type CollectedRecord, type DatasetDescription } from '../src/features/adapter.js';
import {
  datasetJsonArray,
  readDataset,
  readSpoolIndex,
  splitPartial,
  writePartial,
  type PartialRecord,
} from '../src/results/partials/partials.js';
import { Utf8Chunks } from '../src/results/utf8-chunks.js';

/**
 * Partials as feature tasks write them (one spool per dataset and an index) and as the assembly
 * reads them back: rows, file references and counts survive the round trip, whatever the row's form.
 */

const messages: DatasetDescription = { name: 'messages', title: 'Messages', columns: ['id', 'body'], items: {} };
const files: DatasetDescription = { name: 'files', title: 'Files', columns: ['name'], items: {} };

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function text(chunks: AsyncIterable<Buffer>): Promise<string> {
  return Buffer.concat(await all(chunks)).toString('utf8');
}

const file = { blobKey: 'drive/1', name: 'a.pdf', mediaType: 'application/pdf', size: 10, sha256: 'ab'.repeat(32) };
const records: CollectedRecord[] = [
  { dataset: 'messages', row: { id: 'm1', body: 'Grüße, "quoted"\nnew line\ttab' } },
  // As Postgres hands rows over: already JSON, written as they are.
  { dataset: 'messages', row: new RowJson('{"id":"m2","body":"你好"}') },
  { dataset: 'files', row: { name: 'a.pdf' }, file },
  { dataset: 'extra', row: { x: 1, y: null } },
];

t.test('a partial round-trips rows, files and counts per dataset', async (t) => {
  const store = new LocalBlobStore(t.testdir());
  const counts = await writePartial(store, 'work/r/im.ndjson', records, [messages, files]);
  t.same(counts, { messages: 2, files: 1, extra: 1 });
  const index = (await readSpoolIndex(store, 'work/r/im.ndjson'))!;
  t.same(index.datasets.files, { ...index.datasets.files, rows: 1, files: 1, fileBytes: 10 });
  t.same(index.datasets.extra?.columns, ['x', 'y'], 'a dataset nobody described has its columns guessed');
  t.notOk('columns' in index.datasets.messages!, 'a described dataset needs none');
  const expected: PartialRecord[] = [
    { dataset: 'messages', row: { id: 'm1', body: 'Grüße, "quoted"\nnew line\ttab' } },
    { dataset: 'messages', row: { id: 'm2', body: '你好' } },
  ];
  t.same(await all(readDataset(store, 'work/r/im.ndjson', 'messages')), expected);
  t.same(await all(readDataset(store, 'work/r/im.ndjson', 'files')), [{ dataset: 'files', row: { name: 'a.pdf' }, file }]);
  t.same(await all(readDataset(store, 'work/r/im.ndjson', 'nothing')), [], 'a dataset without rows has none');
});

t.test("a dataset's JSON array comes straight from its spool, the same as serializing its rows", async (t) => {
  const store = new LocalBlobStore(t.testdir());
  await writePartial(store, 'p', records, [messages, files]);
  const index = (await readSpoolIndex(store, 'p'))!;
  const json = await text(datasetJsonArray(store, index.datasets.messages!));
  const rows = [
    { id: 'm1', body: 'Grüße, "quoted"\nnew line\ttab' },
    { id: 'm2', body: '你好' },
  ];
  t.equal(json, `[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`);
  t.equal(await text(datasetJsonArray(store, { ...index.datasets.messages!, rows: 0 })), '[]\n');
});

t.test('the JSON array is right whatever the read chunks cut', async (t) => {
  const store = new LocalBlobStore(t.testdir());
  const many = Array.from({ length: 5000 }, (_, i) => ({ dataset: 'messages', row: { id: `m${i}`, body: 'é'.repeat(i % 97) } }));
  await writePartial(store, 'p', many, [messages]);
  const index = (await readSpoolIndex(store, 'p'))!;
  t.same(JSON.parse(await text(datasetJsonArray(store, index.datasets.messages!))), many.map((r) => r.row));
});

t.test('a partial written as one NDJSON file is split on first read, and read the same before', async (t) => {
  const store = new LocalBlobStore(t.testdir());
  const lines = records.map((r) => `${JSON.stringify(r)}\n`).join('');
  await store.put('old.ndjson', lines);
  const before = await all(readDataset(store, 'old.ndjson', 'messages'));
  t.equal(await readSpoolIndex(store, 'old.ndjson'), undefined);
  const index = await splitPartial(store, 'old.ndjson', ['messages', 'files']);
  t.equal(index.datasets.messages?.rows, 2);
  t.same(await all(readDataset(store, 'old.ndjson', 'messages')), before);
  t.same(before.map((r) => r.row.id), ['m1', 'm2']);
});

t.test('a malformed spool line is a read error that names the line, not its content', async (t) => {
  const store = new LocalBlobStore(t.testdir());
  await writePartial(store, 'p', records, [messages, files]);
  const index = (await readSpoolIndex(store, 'p'))!;
  await store.put(index.datasets.messages!.key, '{"id":"m1"}\nsecret text\n');
  await t.rejects(all(readDataset(store, 'p', 'messages')), { message: 'partial p.datasets/1.ndjson line 2 is not JSON' });
});

t.test('Utf8Chunks encodes pieces into chunks of at most its size, never splitting a character', (t) => {
  const chunks = new Utf8Chunks(16);
  const full: Buffer[] = [];
  const pieces = ['abc', 'é你好', 'x'.repeat(10), 'y'.repeat(40), 'z'];
  for (const piece of pieces) chunks.add(piece, full);
  chunks.flush(full);
  t.equal(Buffer.concat(full).toString('utf8'), pieces.join(''));
  t.ok(full.every((b) => b.length <= 16 || b.toString() === 'y'.repeat(40)), 'only a piece larger than a chunk is larger');
  t.same(
    full.map((b) => b.toString('utf8')),
    ['abcé你好', 'x'.repeat(10), 'y'.repeat(40), 'z'],
    'each chunk decodes on its own',
  );
  t.end();
});
