import t from 'tap';
import { LocalBlobStore } from '../src/blobs/blob-store.js';
import { RowJson, type CollectedRecord, type DatasetDescription } from '../src/features/adapter.js';
import { renderDataset } from '../src/results/export/row-renderer.js';
import { PartialReadError, readDataset, readSpoolIndex, spoolBytes, writePartial, type PartialRecord, type SpoolEntry } from '../src/results/partials/partials.js';
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

/** A dataset's export JSON, as the export renders it from the spool. */
function datasetJsonArray(store: LocalBlobStore, spool: SpoolEntry): AsyncIterable<Buffer> {
  return renderDataset(spool.rows > 0 ? spoolBytes(store, spool) : [], { kind: 'json', columns: [] });
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
  t.same(await all(readDataset(store, index, 'messages')), expected);
  t.same(await all(readDataset(store, index, 'files')), [{ dataset: 'files', row: { name: 'a.pdf' }, file }]);
  t.same(await all(readDataset(store, index, 'nothing')), [], 'a dataset without rows has none');
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

t.test('a partial written again starts over, and reads the same each time', async (t) => {
  const store = new LocalBlobStore(t.testdir());
  t.equal(await readSpoolIndex(store, 'p'), undefined, 'no index before the partial is written');
  await writePartial(store, 'p', [{ dataset: 'messages', row: { id: 'old' } }], [messages]);
  await writePartial(store, 'p', records, [messages, files]);
  const index = (await readSpoolIndex(store, 'p'))!;
  t.equal(index.datasets.messages?.rows, 2);
  const first = await all(readDataset(store, index, 'messages'));
  t.same(await all(readDataset(store, index, 'messages')), first);
  t.same(first.map((r) => r.row.id), ['m1', 'm2']);
});

t.test('a corrupt index is a read error that says what is wrong with it', async (t) => {
  const store = new LocalBlobStore(t.testdir());
  await writePartial(store, 'p', records, [messages, files]);
  const index = (await readSpoolIndex(store, 'p'))!;
  const corrupt = async (body: string) => {
    await store.put('p.datasets/index.json', body);
    return readSpoolIndex(store, 'p');
  };
  await t.rejects(corrupt('{"datasets":'), { constructor: PartialReadError, message: 'partial index p.datasets/index.json is not JSON' });
  await t.rejects(corrupt(JSON.stringify({ datasets: { messages: { ...index.datasets.messages, rows: -1 } } })), {
    constructor: PartialReadError,
    message: /^partial index p\.datasets\/index\.json is malformed: \/datasets\/messages\/rows /,
  });
  await t.rejects(corrupt(JSON.stringify({ datasets: { messages: { key: 'x' } } })), {
    constructor: PartialReadError,
    message: /^partial index p\.datasets\/index\.json is malformed: /,
  });
  await t.rejects(corrupt(JSON.stringify({ datasets: { messages: { ...index.datasets.messages, key: 'results/other/secret.zip' } } })), {
    constructor: PartialReadError,
    message: 'partial index p.datasets/index.json names a spool outside its partial',
  });
  await t.rejects(corrupt(JSON.stringify({ ...index, extra: true })), { constructor: PartialReadError, message: /is malformed: \/extra / }, 'unknown fields are refused');
});

t.test('a malformed spool line is a read error that names the line, not its content', async (t) => {
  const store = new LocalBlobStore(t.testdir());
  await writePartial(store, 'p', records, [messages, files]);
  const index = (await readSpoolIndex(store, 'p'))!;
  await store.put(index.datasets.messages!.key, '{"id":"m1"}\nsecret text\n');
  await t.rejects(all(readDataset(store, index, 'messages')), { message: 'partial p.datasets/1.ndjson line 2 is not JSON' });
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
