import t from 'tap';
import { LocalBlobStore } from '../src/blobs/blob-store.js';
import { RowJson, type CollectedRecord, type DatasetDescription } from '../src/features/adapter.js';
import { renderDataset } from '../src/results/export/row-renderer.js';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  INLINE_BYTES,
  PartialReadError,
  readDataset,
  readSpoolIndex,
  spoolBytes,
  writePartial,
  type PartialRecord,
  type SpoolEntry,
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

t.test('a partial round-trips rows, files and counts per dataset, its spools in the index or in blobs', async (t) => {
  for (const inlineBytes of [INLINE_BYTES, 0]) {
    const t2 = `inline ${inlineBytes}`;
    const store = new LocalBlobStore(t.testdir());
    const counts = await writePartial(store, 'work/r/im.ndjson', records, [messages, files], { inlineBytes });
    t.same(counts, { messages: 2, files: 1, extra: 1 });
    const index = (await readSpoolIndex(store, 'work/r/im.ndjson'))!;
    t.same(index.datasets.files, { ...index.datasets.files, rows: 1, files: 1, fileBytes: 10 });
    t.same(index.datasets.extra?.columns, ['x', 'y'], `${t2}: a dataset nobody described has its columns guessed`);
    t.notOk('columns' in index.datasets.messages!, 'a described dataset needs none');
    const expected: PartialRecord[] = [
      { dataset: 'messages', row: { id: 'm1', body: 'Grüße, "quoted"\nnew line\ttab' } },
      { dataset: 'messages', row: { id: 'm2', body: '你好' } },
    ];
    t.same(await all(readDataset(store, index, 'messages')), expected, `${t2}: messages`);
    t.same(await all(readDataset(store, index, 'files')), [{ dataset: 'files', row: { name: 'a.pdf' }, file }], `${t2}: files`);
    t.same(await all(readDataset(store, index, 'nothing')), [], 'a dataset without rows has none');
    const written = await readdir(path.join(store.root, 'work/r/im.ndjson.datasets'));
    t.same(written.sort(), inlineBytes > 0 ? ['index.json'] : ['1.ndjson', '2.ndjson', '3.ndjson', 'index.json'], `${t2}: the files written`);
  }
});

t.test('small spools travel in the index, up to INLINE_BYTES per partial; the rest in blobs', async (t) => {
  const store = new LocalBlobStore(t.testdir());
  const rows = (dataset: string, count: number, size: number): CollectedRecord[] =>
    Array.from({ length: count }, (_, i) => ({ dataset, row: { id: `${dataset}-${i}`, body: 'é'.repeat(size) } }));
  // Two datasets of ~40 KiB each (the first fits, the second does not), one of 1 KiB, one of 200 KiB.
  const many = [...rows('first', 10, 2000), ...rows('second', 10, 2000), ...rows('small', 1, 500), ...rows('large', 50, 2000)];
  const counts = await writePartial(store, 'p', many, []);
  t.same(counts, { first: 10, second: 10, small: 1, large: 50 });
  const index = (await readSpoolIndex(store, 'p'))!;
  t.same(
    Object.fromEntries(Object.entries(index.datasets).map(([name, spool]) => [name, spool.text !== undefined])),
    { first: true, second: false, small: true, large: false },
    'inline while the budget lasts, first come first served',
  );
  const inline = Object.values(index.datasets).filter((s) => s.text !== undefined);
  t.ok(inline.reduce((sum, s) => sum + s.bytes, 0) <= INLINE_BYTES, 'within the budget');
  t.same((await readdir(path.join(store.root, 'p.datasets'))).sort(), ['2.ndjson', '4.ndjson', 'index.json'], 'blobs only for the spools not inline');
  for (const dataset of ['first', 'second', 'small', 'large']) {
    t.same(await all(readDataset(store, index, dataset)), many.filter((r) => r.dataset === dataset), `${dataset}: every row in order`);
    t.equal(Buffer.concat(await all(spoolBytes(store, index.datasets[dataset]!))).length, index.datasets[dataset]!.bytes, `${dataset}: its bytes`);
  }

  // Written again, small: the new index replaces the old one at once, and reads the new rows.
  await writePartial(store, 'p', rows('small', 2, 10), []);
  const again = (await readSpoolIndex(store, 'p'))!;
  t.same(Object.keys(again.datasets), ['small']);
  t.same(await all(readDataset(store, again, 'small')), rows('small', 2, 10));
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
  const text = index.datasets.messages!.text!;
  t.ok(text.length > 0, 'the messages travel in the index');
  for (const [what, spool] of [
    ['a text shorter than its bytes', { ...index.datasets.messages, text: text.slice(1) }],
    ['a text that continues in blobs', { ...index.datasets.messages, continued: ['p.datasets/1.2.ndjson'] }],
  ] as const) {
    await t.rejects(corrupt(JSON.stringify({ datasets: { messages: spool } })), {
      constructor: PartialReadError,
      message: 'partial index p.datasets/index.json has a spool text that does not match its entry',
    }, what);
  }
});

t.test('a malformed spool line is a read error that names the line, not its content', async (t) => {
  const store = new LocalBlobStore(t.testdir());
  await writePartial(store, 'p', records, [messages, files], { inlineBytes: 0 });
  const index = (await readSpoolIndex(store, 'p'))!;
  const malformed = '{"id":"m1"}\nsecret text\n';
  await store.put(index.datasets.messages!.key, malformed);
  await t.rejects(all(readDataset(store, index, 'messages')), { message: 'partial p.datasets/1.ndjson line 2 is not JSON' });
  // The same in a spool the index carries.
  const inline = { datasets: { messages: { ...index.datasets.messages!, text: malformed, bytes: Buffer.byteLength(malformed) } } };
  await store.put('p.datasets/index.json', JSON.stringify(inline));
  const read = (await readSpoolIndex(store, 'p'))!;
  await t.rejects(all(readDataset(store, read, 'messages')), { message: 'partial p.datasets/1.ndjson line 2 is not JSON' }, 'inline: the same error');
});

t.test('an index larger than one read (1 MiB) is streamed and reads the same', async (t) => {
  const store = new LocalBlobStore(t.testdir());
  await writePartial(store, 'p', records, [messages, files], { inlineBytes: 0 });
  const index = (await readSpoolIndex(store, 'p'))!;
  await store.put('p.datasets/index.json', JSON.stringify(index) + ' '.repeat(1024 * 1024));
  t.same(await readSpoolIndex(store, 'p'), index);
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
