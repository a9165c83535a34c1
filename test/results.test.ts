import t from 'tap';
import { NO_AUTOMATED_DECISIONS, SILENT_NOTICE } from './fixtures/catalogue-notice.js';
import type { Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { LocalBlobStore, type BlobStore, type BlobWriter } from '../src/blobs/blob-store.js';
import { EncryptedBlobStore } from '../src/blobs/encrypted-blob-store.js';
import type { Catalogue } from '../src/catalogue/schema.js';
import type { RequestRow, TaskRow } from '../src/requests/tables.js';
import type { CollectedRecord, DatasetDescription } from '../src/features/adapter.js';
import { READ_AHEAD, WHOLE_FILE_BYTES } from '../src/results/archive-files.js';
import { assembleResult, type AssembledResult, type AssemblyInput } from '../src/results/assemble.js';
import { csvField } from '../src/results/export/csv.js';
import type { DeletionReceipt } from '../src/results/receipt/deletion-receipt.js';
import { deletionReceiptHtml } from '../src/results/receipt/deletion-receipt-html.js';
import { verifyReceipt } from '../src/results/receipt/receipt-signing.js';
import { sanitizeFileName } from '../src/results/file-names.js';
import { requestRow, taskRow } from './fixtures/rows.js';
import { writePartial } from '../src/results/partials/partials.js';

/**
 * Result assembly end to end on local blob stores: partials and feature files are written by
 * hand, each request type is assembled, and the result is read back with the system `unzip`.
 */

// A complete 1x1 PNG, so the image entry is a real one.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const UNICODE_NAME = '../../etc/pässwörd 文件.txt';
const UNICODE_BYTES = Buffer.from('geheim: Grüße 你好\n', 'utf8');

const catalogue: Catalogue = {
  version: '9.9.9-test',
  sourceSha256: '0'.repeat(64),
  automatedDecisions: NO_AUTOMATED_DECISIONS,
  features: [
    {
      id: 'im',
      name: 'Instant messaging',
      purpose: 'For sending messages to colleagues.',
      categories: ['Message content'],
      sources: ['end_user', 'app'],
      ...SILENT_NOTICE,
      items: [
        { id: 'text-messages', label: 'Text messages', processing: 'stored', statementText: 'text messages' },
        { id: 'images', label: 'Images', processing: 'stored', examples: ['photos'], statementText: 'images' },
        { id: 'clipboard', label: 'Clipboard', processing: 'processed_not_saved', statementText: 'clipboard' },
        { id: 'group-messages', label: 'Group messages', processing: 'stored', statementText: 'group messages' },
        { id: 'read-receipts', label: 'Read receipts', processing: 'stored', statementText: 'read receipts' },
      ],
    },
    {
      id: 'email',
      name: 'Email client',
      purpose: 'For email.',
      categories: ['Email'],
      sources: ['enterprise'],
      ...SILENT_NOTICE,
      items: [
        { id: 'email-address', label: 'Email address', processing: 'stored', statementText: 'email address' },
        {
          id: 'email-password',
          label: 'Email password',
          processing: 'authentication_only_not_collected',
          statementText: 'email password',
        },
      ],
    },
    {
      id: 'calendar',
      name: 'Work calendar',
      purpose: 'For meetings.',
      categories: ['Schedule'],
      sources: ['end_user'],
      ...SILENT_NOTICE,
      items: [{ id: 'events', label: 'Events', processing: 'stored', statementText: 'events' }],
    },
    {
      id: 'clouddrive',
      name: 'Clouddrive',
      purpose: 'For files.',
      categories: ['Files'],
      sources: ['end_user'],
      ...SILENT_NOTICE,
      items: [{ id: 'files', label: 'Files', processing: 'stored', statementText: 'files' }],
    },
    {
      id: 'search',
      name: 'Search',
      purpose: 'For search.',
      categories: ['Search history'],
      sources: ['end_user'],
      ...SILENT_NOTICE,
      items: [
        {
          id: 'search-keywords',
          label: 'Search keywords',
          processing: 'stored',
          retention: { kind: 'latest_n', count: 20, note: 'Only the latest 20 keywords are retained by default.' },
          statementText: 'search keywords',
        },
      ],
    },
  ],
};

const datasets = new Map<string, DatasetDescription[]>([
  [
    'im',
    [
      {
        name: 'messages',
        title: 'Messages',
        columns: ['id', 'sent_at', 'to', 'text', 'pinned', 'score'],
        items: { text: 'text-messages', to: 'text-messages' },
      },
      { name: 'attachments', title: 'Attachments', columns: ['id', 'name'], items: { name: 'images' } },
      { name: 'group-messages', title: 'Group messages', columns: ['id'], items: {} },
      { name: 'read-receipts', title: 'Read receipts', columns: ['id'], items: {} },
    ],
  ],
  ['email', []],
  ['calendar', [{ name: 'events', title: 'Events', columns: ['id', 'title'], items: { title: 'events' } }]],
  ['clouddrive', [{ name: 'files', title: 'Files', columns: ['id', 'name'], items: { name: 'files' } }]],
  ['search', [{ name: 'keywords', title: 'Keywords', columns: ['keyword'], items: { keyword: 'search-keywords' } }]],
]);

const messages: CollectedRecord['row'][] = [
  { id: 'm1', sent_at: '2024-01-01T10:00:00.000Z', to: 'bob', text: '<script>alert("x")</script> & "quotes"', pinned: true, score: 1 },
  { id: 'm2', sent_at: '2024-01-02T10:00:00.000Z', to: 'bob', text: 'Hello, "world"\nline2', pinned: false, score: 0.5 },
  { id: 'm3', sent_at: '2024-01-03T10:00:00.000Z', to: 'carol', text: '=HYPERLINK("http://evil")', pinned: null, score: -3 },
  { id: 'm4', sent_at: '2024-01-04T10:00:00.000Z', to: '@alice', text: '-5 apples', pinned: null, score: null },
  { id: 'm5', sent_at: '2024-01-05T10:00:00.000Z', to: 'dave', text: '+1 Grüße 你好', pinned: false, score: 2 },
];

const attachments: CollectedRecord[] = [
  {
    dataset: 'attachments',
    row: { id: 'a1', name: 'photo.png' },
    file: { blobKey: 'im/blobs/photo', name: 'photo.png', mediaType: 'image/png', size: PNG.length },
  },
  {
    dataset: 'attachments',
    row: { id: 'a2', name: UNICODE_NAME },
    file: { blobKey: 'im/blobs/unicode', name: UNICODE_NAME, mediaType: 'text/plain', size: UNICODE_BYTES.length },
  },
  // Deleted since it was collected.
  {
    dataset: 'attachments',
    row: { id: 'a3', name: 'gone.pdf' },
    file: { blobKey: 'im/blobs/gone', name: 'gone.pdf', mediaType: 'application/pdf', size: 10 },
  },
  // A key the store refuses also counts as missing, not as a failure of the whole result.
  {
    dataset: 'attachments',
    row: { id: 'a4', name: '<b>bold</b>.jpg' },
    file: { blobKey: '../escape', name: '<b>bold</b>.jpg', mediaType: 'image/jpeg', size: 10 },
  },
];

/** Datasets interleaved on purpose: the assembler must group them without relying on order. */
const imRecords: CollectedRecord[] = [
  { dataset: 'messages', row: messages[0]! },
  attachments[0]!,
  { dataset: 'messages', row: messages[1]! },
  attachments[1]!,
  { dataset: 'reactions', row: { emoji: '👍', message_id: 'm1' } },
  { dataset: 'messages', row: messages[2]! },
  attachments[2]!,
  { dataset: 'messages', row: messages[3]! },
  attachments[3]!,
  { dataset: 'messages', row: messages[4]! },
];

function request(id: string, type: RequestRow['type']): RequestRow {
  const features = ['im', 'email', 'calendar', 'clouddrive', 'search'];
  return requestRow({ id, type, subjectAccountId: 'user-<42>', features, catalogueVersion: catalogue.version });
}

function task(requestId: string, feature: string, fields: Partial<TaskRow>): TaskRow {
  return taskRow({ id: `${requestId.slice(0, 30)}${feature.padEnd(6, '0').slice(0, 6)}`, requestId, feature, ...fields });
}

interface Stores {
  dir: string;
  results: BlobStore;
  featureBlobs: LocalBlobStore;
}

async function stores(dir: string): Promise<Stores> {
  const results = new LocalBlobStore(path.join(dir, 'results'));
  const featureBlobs = new LocalBlobStore(path.join(dir, 'features'));
  await featureBlobs.put('im/blobs/photo', PNG);
  await featureBlobs.put('im/blobs/unicode', UNICODE_BYTES);
  return { dir, results, featureBlobs };
}

/** The tasks of an access or export request, given in an order other than the catalogue's. */
async function collectionTasks(s: Stores, requestId: string): Promise<TaskRow[]> {
  const imKey = `partials/${requestId}/im.ndjson`;
  await writePartial(s.results, imKey, imRecords, datasets.get('im')!);
  return [
    task(requestId, 'search', { counts: { keywords: 0 } }),
    task(requestId, 'calendar', { status: 'failed', error: 'adapter timed out <db>' }),
    task(requestId, 'im', { partialKey: imKey, counts: { messages: 5, attachments: 4, reactions: 1 } }),
    task(requestId, 'email', { status: 'not_automated' }),
    // Its partial vanished: the feature is reported as failed, the rest of the result stands.
    task(requestId, 'clouddrive', { partialKey: `partials/${requestId}/clouddrive.ndjson`, counts: { files: 2 } }),
  ];
}

function input(s: Stores, req: RequestRow, tasks: TaskRow[], overrides: Partial<AssemblyInput> = {}): AssemblyInput {
  return { request: req, tasks, catalogue, datasets, results: s.results, featureBlobs: s.featureBlobs, ...overrides };
}

// unzip prints and matches UTF-8 names only under a UTF-8 locale.
const UNZIP_ENV = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };

function listZip(file: string): string[] {
  return execFileSync('unzip', ['-Z1', file], { env: UNZIP_ENV }).toString('utf8').split('\n').filter(Boolean);
}

function readEntry(file: string, entry: string): Buffer {
  return execFileSync('unzip', ['-p', file, entry], { env: UNZIP_ENV, maxBuffer: 64 * 1024 * 1024 });
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const PHOTO_PATH = 'files/im/attachments/1-photo.png';
const UNICODE_PATH = 'files/im/attachments/2-etc_pässwörd 文件.txt';

t.test('file names are made safe for archives', async (t) => {
  t.equal(sanitizeFileName(UNICODE_NAME), 'etc_pässwörd 文件.txt');
  t.equal(sanitizeFileName('..'), 'file');
  t.equal(sanitizeFileName('a\u202Egpj.exe'), 'agpj.exe', 'bidi overrides are dropped');
  t.equal(sanitizeFileName('C:\\x\\y.doc'), 'C__x_y.doc');
  const long = sanitizeFileName(`${'é'.repeat(400)}.txt`);
  t.ok(Buffer.byteLength(long) <= 150 && long.endsWith('.txt'), 'long names are cut, keeping the extension');
});

t.test('CSV fields are quoted and neutralized', async (t) => {
  t.equal(csvField('plain'), 'plain');
  t.equal(csvField('a,b'), '"a,b"');
  t.equal(csvField('say "hi"'), '"say ""hi"""');
  t.equal(csvField('a\r\nb'), '"a\r\nb"');
  t.equal(csvField('=1+2'), "'=1+2");
  t.equal(csvField('@cmd'), "'@cmd");
  t.equal(csvField(-3), '-3', 'numbers are not formulas');
  t.equal(csvField(null), '');
});

t.test('access result', async (t) => {
  const s = await stores(t.testdir());
  const req = request('11111111-1111-4111-8111-111111111111', 'access');
  const result = await assembleResult(input(s, req, await collectionTasks(s, req.id)));

  t.equal(result.fileName, `dsar-access-${req.id}.zip`);
  t.equal(result.key, `results/${req.id}/${result.fileName}`);
  t.equal(result.mediaType, 'application/zip');
  const zip = path.join(s.dir, 'results', result.key);
  t.equal(result.size, (await s.results.size(result.key)) ?? -1);
  t.equal(result.sha256, sha256(readFileSync(zip)), 'the reported digest is the zip file\'s');

  const entries = listZip(zip);
  t.same(entries.sort(), ['data.json', PHOTO_PATH, UNICODE_PATH, 'index.html'].sort(), 'no missing file is in the archive');
  t.notOk(entries.some((e) => e.split('/').includes('..')), 'no entry climbs out of the archive');
  t.same(readEntry(zip, PHOTO_PATH), PNG, 'the image is copied byte for byte');
  t.same(readEntry(zip, UNICODE_PATH), UNICODE_BYTES);

  t.test('index.html', async (t) => {
    const page = readEntry(zip, 'index.html').toString('utf8');
    t.match(page, /^<!DOCTYPE html>/);
    t.notMatch(page, /<script/i, 'no script, and no row value unescaped');
    t.notMatch(page, /(src|href)="(https?:)?\/\//, 'nothing external');
    t.match(page, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;');
    t.match(page, 'user-&lt;42&gt;', 'the header is escaped too');
    t.match(page, req.id);
    t.match(page, '9.9.9-test');
    t.match(page, `<img src="files/im/attachments/1-photo.png" alt="photo.png"`);
    t.match(page, `<a href="files/im/attachments/2-etc_p%C3%A4ssw%C3%B6rd%20%E6%96%87%E4%BB%B6.txt">../../etc/pässwörd 文件.txt</a>`);
    t.match(page, 'gone.pdf — this file no longer exists');
    t.match(page, '&lt;b&gt;bold&lt;/b&gt;.jpg — this file no longer exists');
    t.match(page, 'Grüße 你好');
    t.match(page, 'Messages: 5 rows');
    t.match(page, 'Not automated yet');
    t.match(page, 'Could not be collected: adapter timed out &lt;db&gt;');
    t.match(page, 'Could not be collected: the collected data could not be read', 'the feature with a vanished partial');
    t.match(page, 'We hold no data of yours for this feature.');
    t.match(page, 'processed but not saved');
    t.match(page, 'only for authentication, not collected');
    t.match(page, 'Only the latest 20 keywords are retained by default.');
    t.match(page, '<th>Item</th><th>For you</th>', 'each feature has a table of what it handles');
    t.match(page, '<tr class="item found"><td>Text messages</td><td>Found: 5 rows</td></tr>');
    t.match(page, 'None held: this feature&#39;s store holds no such item', 'an item the adapter maps to no column');
    t.match(page, 'Not stored: processed but not saved (privacy statement: &quot;clipboard&quot;)');
    t.match(page, 'Could not be processed: adapter timed out &lt;db&gt;');
    t.match(page, 'Not automated: answered separately by your organization');
    t.match(page, 'Submitted by you; Collected by the app');
    t.match(page, 'Uploaded by your organization');
    t.match(page, '👍', 'a dataset the adapter did not describe is shown too');
    const order = ['feature-im', 'feature-email', 'feature-calendar', 'feature-clouddrive', 'feature-search'].map((id) =>
      page.indexOf(`<section class="feature" id="${id}">`),
    );
    t.ok(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!)), 'features in catalogue order');
  });

  t.test('data.json', async (t) => {
    const data = JSON.parse(readEntry(zip, 'data.json').toString('utf8'));
    t.same(data.request, {
      id: req.id,
      type: 'access',
      tenantId: 'acme',
      accountId: 'user-<42>',
      createdAt: '2024-05-01T09:30:00.000Z',
      catalogueVersion: '9.9.9-test',
    }, 'the time of the request, no time of its work');
    t.same(data.catalogue, { version: '9.9.9-test' });
    t.same(
      data.features.map((f: { id: string }) => f.id),
      ['im', 'email', 'calendar', 'clouddrive', 'search'],
    );
    const [im, email, calendar, clouddrive, search] = data.features;
    t.same(im.sources, ['end_user', 'app']);
    t.strictSame(im.items, [
      { id: 'text-messages', label: 'Text messages', outcome: 'found', count: 5, processing: 'stored' },
      { id: 'images', label: 'Images', outcome: 'found', count: 4, processing: 'stored', examples: ['photos'] },
      {
        id: 'clipboard',
        label: 'Clipboard',
        outcome: 'not_stored',
        processing: 'processed_not_saved',
        reason: 'clipboard',
      },
      {
        id: 'group-messages',
        label: 'Group messages',
        outcome: 'none_held',
        note: "this feature's store holds no such item",
        processing: 'stored',
      },
      {
        id: 'read-receipts',
        label: 'Read receipts',
        outcome: 'none_held',
        note: "this feature's store holds no such item",
        processing: 'stored',
      },
    ]);
    t.equal(im.status, 'completed');
    t.strictSame(im.datasets.messages, messages, 'exactly the rows collected, in order');
    t.strictSame(im.datasets.attachments, [
      { id: 'a1', name: 'photo.png', file: PHOTO_PATH },
      { id: 'a2', name: UNICODE_NAME, file: UNICODE_PATH },
      {
        id: 'a3',
        name: 'gone.pdf',
        file: null,
        fileMissing: { name: 'gone.pdf', mediaType: 'application/pdf', size: 10, reason: im.datasets.attachments[2].fileMissing.reason },
      },
      {
        id: 'a4',
        name: '<b>bold</b>.jpg',
        file: null,
        fileMissing: { name: '<b>bold</b>.jpg', mediaType: 'image/jpeg', size: 10, reason: im.datasets.attachments[3].fileMissing.reason },
      },
    ]);
    t.strictSame(im.datasets.reactions, [{ emoji: '👍', message_id: 'm1' }]);
    t.strictSame(im.datasets['group-messages'], []);
    t.same([email.status, email.datasets], ['not_automated', {}]);
    t.same(
      email.items.map((i: { outcome: string }) => i.outcome),
      ['not_automated', 'not_stored'],
    );
    t.same([calendar.status, calendar.error], ['failed', 'adapter timed out <db>']);
    t.match(calendar.items, [{ id: 'events', outcome: 'failed', reason: 'adapter timed out <db>' }]);
    t.same([clouddrive.status, clouddrive.error], ['failed', 'the collected data could not be read']);
    t.match(clouddrive.items, [{ id: 'files', outcome: 'failed', reason: 'the collected data could not be read' }]);
    t.same([search.status, search.datasets], ['completed', { keywords: [] }]);
    t.strictSame(
      search.items,
      [
        {
          id: 'search-keywords',
          label: 'Search keywords',
          outcome: 'none_held',
          processing: 'stored',
          retention: { kind: 'latest_n', count: 20, note: 'Only the latest 20 keywords are retained by default.' },
        },
      ],
      'stored and mapped, but nothing found',
    );
  });
});

t.test('export result', async (t) => {
  const s = await stores(t.testdir());
  const req = request('22222222-2222-4222-8222-222222222222', 'export');
  const result = await assembleResult(input(s, req, await collectionTasks(s, req.id)));
  checkExport(t, s, req, result);
});

t.test('export result with its JSON and CSV prepared in the text worker while files are copied', async (t) => {
  const s = await stores(t.testdir());
  const req = request('22222222-2222-4222-8222-222222222222', 'export');
  const results = new CountingStore(s.results);
  const tasks = await collectionTasks(s, req.id);
  // 0: every dataset without files is prepared, however small.
  const result = await assembleResult(input(s, req, tasks, { results, prepareTextBytes: 0 }));
  const prepared = results.written.filter((key) => key.startsWith(`work/${req.id}/prepared/`));
  // im: messages and reactions; search: keywords has no rows, so no spool; each a JSON and a CSV.
  t.equal(prepared.length, 4, 'the JSON and CSV of each dataset without files went through the worker');
  for (const key of prepared) t.equal(await s.results.size(key), undefined, `${key} is removed after the assembly`);
  checkExport(t, s, req, result);
});

t.test('export result prepared in the text worker with results encrypted at rest: the entries read back decrypted into reused buffers', async (t) => {
  const plain = await stores(t.testdir());
  const encrypted = new EncryptedBlobStore(plain.results, randomBytes(32));
  const opened: string[] = [];
  const reader = encrypted.reader!;
  Object.assign(encrypted, {
    reader: (key: string) => {
      opened.push(key);
      return reader(key);
    },
  });
  const s = { ...plain, results: encrypted };
  const req = request('22222222-2222-4222-8222-222222222222', 'export');
  const result = await assembleResult(input(s, req, await collectionTasks(s, req.id), { prepareTextBytes: 0 }));
  t.equal(opened.filter((key) => key.startsWith(`work/${req.id}/prepared/`)).length, 4, "each prepared entry is read through the store's reader");
  // The zip decrypted into a directory of its own, for unzip to check.
  const clear = path.join(plain.dir, 'clear');
  await new LocalBlobStore(path.join(clear, 'results')).put(result.key, encrypted.get(result.key));
  checkExport(t, { ...s, dir: clear }, req, result);
});

t.test('text prepared in the worker is deflated within an 8 KiB window', async (t) => {
  const s = await stores(t.testdir());
  const req = request('33333333-3333-4333-8333-333333333333', 'export');
  // The same random text 12 KiB apart: a 32 KiB window refers back to it, which an 8 KiB inflater refuses.
  const text = randomBytes(9000).toString('base64');
  const rows: CollectedRecord[] = ['m1', 'm2'].map((id) => ({ dataset: 'messages', row: { id, sent_at: '2024-01-01T10:00:00.000Z', to: 'bob', text } }));
  const imKey = `partials/${req.id}/im.ndjson`;
  await writePartial(s.results, imKey, rows, datasets.get('im')!);
  const tasks = [task(req.id, 'im', { partialKey: imKey, counts: { messages: 2 } })];
  const result = await assembleResult(input(s, req, tasks, { prepareTextBytes: 0 }));
  const zip = await yauzl.openPromise(path.join(s.dir, 'results', result.key), { lazyEntries: true });
  t.teardown(() => zip.close());
  const found: string[] = [];
  for await (const entry of zip.eachEntry()) {
    if (!/^im\/messages\.(json|csv)$/.test(entry.fileName)) continue;
    const raw = await buffer(await zip.openReadStreamPromise(entry, { decompress: false }));
    const inflated = zlib.inflateRawSync(raw, { windowBits: 13 });
    t.equal(inflated.length, entry.uncompressedSize, `${entry.fileName} inflates with an 8 KiB window`);
    t.ok(raw.length < inflated.length * 0.9, `${entry.fileName} is still compressed`);
    found.push(entry.fileName);
  }
  t.same(found.sort(), ['im/messages.csv', 'im/messages.json']);
});

function checkExport(t: Test, s: Stores, req: RequestRow, result: AssembledResult): void {
  t.equal(result.fileName, `dsar-export-${req.id}.zip`);
  t.equal(result.mediaType, 'application/zip');
  const zip = path.join(s.dir, 'results', result.key);
  const entries = listZip(zip);

  t.equal(entries.at(-1), 'manifest.json', 'the manifest comes last');
  for (const expected of [
    'README.txt',
    'im/messages.json',
    'im/messages.csv',
    'im/attachments.csv',
    'im/reactions.json',
    'search/keywords.csv',
    PHOTO_PATH,
    UNICODE_PATH,
  ]) {
    t.ok(entries.includes(expected), `${expected} is in the archive`);
  }
  t.notOk(entries.some((e) => e.startsWith('email/') || e.startsWith('calendar/')), 'nothing for features without data');

  t.equal(
    readEntry(zip, 'im/messages.csv').toString('utf8'),
    [
      'id,sent_at,to,text,pinned,score',
      'm1,2024-01-01T10:00:00.000Z,bob,"<script>alert(""x"")</script> & ""quotes""",true,1',
      'm2,2024-01-02T10:00:00.000Z,bob,"Hello, ""world""\nline2",false,0.5',
      `m3,2024-01-03T10:00:00.000Z,carol,"'=HYPERLINK(""http://evil"")",,-3`,
      "m4,2024-01-04T10:00:00.000Z,'@alice,'-5 apples,,",
      "m5,2024-01-05T10:00:00.000Z,dave,'+1 Grüße 你好,false,2",
      '',
    ].join('\r\n'),
  );
  t.equal(
    readEntry(zip, 'im/attachments.csv').toString('utf8'),
    [
      'id,name,file',
      `a1,photo.png,${PHOTO_PATH}`,
      `a2,../../etc/pässwörd 文件.txt,${UNICODE_PATH}`,
      'a3,gone.pdf,',
      'a4,<b>bold</b>.jpg,',
      '',
    ].join('\r\n'),
  );
  t.equal(readEntry(zip, 'search/keywords.csv').toString('utf8'), 'keyword\r\n', 'an empty dataset still has its header');
  t.strictSame(JSON.parse(readEntry(zip, 'im/messages.json').toString('utf8')), messages);
  t.strictSame(JSON.parse(readEntry(zip, 'search/keywords.json').toString('utf8')), []);

  const readme = readEntry(zip, 'README.txt').toString('utf8');
  t.match(readme, 'Email client (email): Not automated yet');
  t.match(readme, '    Text messages: Found: 5 rows\r\n');
  t.match(readme, '    Email password: Not stored: only for authentication, not collected');
  t.match(readme, '    Events: Could not be processed: adapter timed out <db>');
  t.match(readme, 'Work calendar (calendar): Could not be collected: adapter timed out <db>');
  t.match(readme, '2 file(s) could not be included');

  const manifest = JSON.parse(readEntry(zip, 'manifest.json').toString('utf8'));
  t.equal(manifest.requestId, req.id);
  t.equal(manifest.createdAt, '2024-05-01T09:30:00.000Z', 'the time of the request, not of the assembly');
  t.equal(manifest.catalogueVersion, '9.9.9-test');
  t.same(
    manifest.files.map((f: { path: string }) => f.path).sort(),
    entries.filter((e) => e !== 'manifest.json').sort(),
    'the manifest covers every other entry',
  );
  for (const file of manifest.files as { path: string; size: number; sha256: string }[]) {
    const bytes = readEntry(zip, file.path);
    t.equal(file.size, bytes.length, `size of ${file.path}`);
    t.equal(file.sha256, sha256(bytes), `sha256 of ${file.path}`);
  }
  t.same(
    manifest.missing.map((m: { path: string }) => m.path),
    ['files/im/attachments/3-gone.pdf', 'files/im/attachments/4-b_bold__b_.jpg'],
  );
  t.same(manifest.features.find((f: { id: string }) => f.id === 'calendar'), {
    id: 'calendar',
    status: 'failed',
    error: 'adapter timed out <db>',
    items: [{ id: 'events', label: 'Events', outcome: 'failed', reason: 'adapter timed out <db>' }],
  });
  t.same(
    manifest.features.find((f: { id: string }) => f.id === 'im').items.map((i: { outcome: string }) => i.outcome),
    ['found', 'found', 'not_stored', 'none_held', 'none_held'],
  );
}

t.test('deletion receipt', async (t) => {
  const s = await stores(t.testdir());
  // The worker has already decided the status; the receipt repeats it.
  const req: RequestRow = { ...request('33333333-3333-4333-8333-333333333333', 'deletion'), status: 'partially_completed' };
  const tasks = [
    task(req.id, 'im', {
      outcome: [
        { dataset: 'messages', deleted: 3, anonymized: 0, kept: 0, items: ['text-messages'] },
        { dataset: 'attachments', deleted: 2, anonymized: 0, kept: 0, items: ['images'] },
        {
          dataset: 'attachment-archive',
          deleted: 0,
          anonymized: 0,
          kept: 0,
          retained: 3,
          retainedUntil: '2031-05-02',
          retentionReason: 'Kept 7 years for tax law.',
          items: ['images'],
        },
        {
          dataset: 'group-messages',
          deleted: 0,
          anonymized: 4,
          kept: 0,
          items: ['group-messages'],
          note: 'Your name was removed from messages others still need.',
        },
        { dataset: 'read-receipts', deleted: 1, anonymized: 0, kept: 1, items: ['read-receipts'], note: 'Legal hold.' },
      ],
    }),
    task(req.id, 'email', { status: 'not_automated', finishedAt: null }),
    task(req.id, 'calendar', { status: 'failed', error: 'database unavailable' }),
    // Completed, but without an outcome nothing can be confirmed.
    task(req.id, 'clouddrive', { outcome: null }),
    task(req.id, 'search', { outcome: [] }),
  ];
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const result = await assembleResult(input(s, req, tasks, { signingKey: privateKey }));
  t.equal(result.fileName, `dsar-deletion-receipt-${req.id}.json`);
  t.equal(result.key, `results/${req.id}/${result.fileName}`);
  t.equal(result.mediaType, 'application/json');
  const bytes = readFileSync(path.join(s.dir, 'results', result.key));
  t.equal(result.size, bytes.length);
  t.equal(result.sha256, sha256(bytes));

  const receipt = JSON.parse(bytes.toString('utf8')) as DeletionReceipt;
  t.match(receipt, {
    requestId: req.id,
    type: 'deletion',
    accountId: 'user-<42>',
    tenantId: 'acme',
    catalogueVersion: '9.9.9-test',
    createdAt: '2024-05-01T09:30:00.000Z',
    status: 'partially_completed',
    digest: /^[0-9a-f]{64}$/,
    signature: { algorithm: 'Ed25519', keyId: /^[0-9a-f]{16}$/, value: String },
  });
  const outcomes = Object.fromEntries(
    receipt.features.map((f) => [f.id, Object.fromEntries(f.items.map((i) => [i.id, i.outcome]))]),
  );
  t.same(outcomes, {
    im: {
      'text-messages': 'deleted',
      images: 'retained',
      clipboard: 'not_stored',
      'group-messages': 'anonymized',
      'read-receipts': 'kept',
    },
    email: { 'email-address': 'not_automated', 'email-password': 'not_stored' },
    calendar: { events: 'failed' },
    clouddrive: { files: 'failed' },
    search: { 'search-keywords': 'none_held' },
  });
  const im = receipt.features[0]!;
  t.strictSame(im.items[1], {
    id: 'images',
    label: 'Images',
    outcome: 'retained',
    count: 3,
    reason: 'Kept 7 years for tax law.',
    until: '2031-05-02',
  }, 'the least complete erasure of an item wins');
  t.strictSame(im.items[4], { id: 'read-receipts', label: 'Read receipts', outcome: 'kept', count: 1, reason: 'Legal hold.' }, 'kept, and why');
  t.strictSame(im.datasets[3], {
    dataset: 'group-messages',
    title: 'Group messages',
    deleted: 0,
    anonymized: 4,
    kept: 0,
    retained: 0,
    retainedUntil: null,
    retentionReason: null,
    items: ['group-messages'],
    note: 'Your name was removed from messages others still need.',
  });
  t.equal(im.datasets[0]!.note, null);
  t.notOk('completedAt' in receipt || 'finishedAt' in im, 'no time of the work (a rerun ends later): the request record has it');
  t.strictSame(receipt.features[2], {
    id: 'calendar',
    name: 'Work calendar',
    status: 'failed',
    error: 'database unavailable',
    datasets: [],
    items: [{ id: 'events', label: 'Events', outcome: 'failed', reason: 'database unavailable' }],
  });
  t.same(
    [receipt.features[3]!.status, receipt.features[3]!.error],
    ['failed', 'the outcome of the erasure could not be read'],
  );

  t.ok(verifyReceipt(receipt, publicKey), 'the stored receipt verifies with the public key');
  t.ok(verifyReceipt(receipt, publicKey.export({ type: 'spki', format: 'pem' }).toString()), 'and with the key as PEM');
  t.notOk(verifyReceipt(receipt, generateKeyPairSync('ed25519').publicKey), 'not with another key');

  const page = deletionReceiptHtml(receipt);
  t.match(page, /^<!DOCTYPE html>/);
  t.notMatch(page, /<script|(src|href)="(https?:)?\/\//i, 'offline, no scripts');
  t.match(page, 'user-&lt;42&gt;', 'escaped');
  for (const feature of receipt.features) t.match(page, `<h2>${feature.name}</h2>`, `shows ${feature.id}`);
  t.match(page, receipt.digest);
  t.match(page, receipt.signature!.keyId);
  t.match(page, 'Retained (3 rows) until 2031-05-02: Kept 7 years for tax law.');
  t.match(page, 'How to verify');
});

t.test('an unsigned deletion receipt says so', async (t) => {
  const s = await stores(t.testdir());
  const req: RequestRow = { ...request('66666666-6666-4666-8666-666666666666', 'deletion'), status: 'completed' };
  const result = await assembleResult(input(s, req, [task(req.id, 'search', { outcome: [] })]));
  const receipt = JSON.parse(readFileSync(path.join(s.dir, 'results', result.key), 'utf8')) as DeletionReceipt;
  t.equal(receipt.signature, null);
  t.match(receipt.digest, /^[0-9a-f]{64}$/);
  t.notOk(verifyReceipt(receipt, generateKeyPairSync('ed25519').publicKey), 'nothing to verify');
  t.match(deletionReceiptHtml(receipt), 'Not signed');
});

/** Counts how many blobs are open at once: streams until they close, whole reads until they resolve. */
class CountingStore implements BlobStore {
  /** Keys written, in order. */
  written: string[] = [];
  open = 0;
  maxOpen = 0;
  wholeReads = 0;
  constructor(private readonly inner: BlobStore) {}
  private opened(): void {
    this.open += 1;
    this.maxOpen = Math.max(this.maxOpen, this.open);
  }
  get(key: string): Readable {
    const stream = this.inner.get(key);
    this.opened();
    stream.once('close', () => (this.open -= 1));
    return stream;
  }
  async readWhole(key: string, maxBytes: number) {
    this.opened();
    this.wholeReads += 1;
    try {
      return await this.inner.readWhole(key, maxBytes);
    } finally {
      this.open -= 1;
    }
  }
  put(key: string, body: Readable | Buffer | string) {
    return this.inner.put(key, body);
  }
  writer(key: string): Promise<BlobWriter> {
    this.written.push(key);
    return this.inner.writer(key);
  }
  size(key: string) {
    return this.inner.size(key);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  deletePrefix(prefix: string) {
    return this.inner.deletePrefix(prefix);
  }
}

t.test('many files are copied with a bounded number open, small ones read whole', async (t) => {
  const s = await stores(t.testdir());
  const req = request('44444444-4444-4444-8444-444444444444', 'export');
  const count = 400;
  const records: CollectedRecord[] = [];
  const add = async (id: string, bytes: Buffer | string, mediaType: string, size: number) => {
    await s.featureBlobs.put(`drive/${id}`, bytes);
    records.push({
      dataset: 'files',
      row: { id, name: 'same name.txt' },
      file: { blobKey: `drive/${id}`, name: 'same name.txt', mediaType, size },
    });
  };
  // Text is deflated, PNGs are stored from memory, anything above WHOLE_FILE_BYTES is streamed.
  for (let i = 0; i < count; i += 1) {
    if (i % 2 === 0) await add(`f${i}`, `file number ${i}\n`, 'text/plain', 10);
    else await add(`f${i}`, Buffer.concat([PNG, Buffer.from(`#${i}`)]), 'image/png', PNG.length + 4);
  }
  const large = randomBytes(WHOLE_FILE_BYTES + 1);
  await add('large', large, 'image/png', large.length);
  // Recorded as small, but larger than WHOLE_FILE_BYTES when read: streamed all the same.
  await add('grown', large, 'image/png', 10);
  await writePartial(s.results, `partials/${req.id}/clouddrive.ndjson`, records, datasets.get('clouddrive')!);
  const featureBlobs = new CountingStore(s.featureBlobs);
  const tasks = [task(req.id, 'clouddrive', { partialKey: `partials/${req.id}/clouddrive.ndjson` })];
  const result = await assembleResult(input(s, req, tasks, { featureBlobs }));
  // The one being written and those opened ahead of it: never one per file (EMFILE).
  t.ok(featureBlobs.maxOpen <= READ_AHEAD + 1, `at most READ_AHEAD + 1 feature files open (${featureBlobs.maxOpen})`);
  t.ok(featureBlobs.maxOpen > 1, 'files are opened ahead');
  t.equal(featureBlobs.open, 0, 'every file was closed');
  t.equal(featureBlobs.wholeReads, count + 1, 'small files (and the one recorded as small) read whole, the large one not');
  const zip = path.join(s.dir, 'results', result.key);
  const entries = listZip(zip);
  t.equal(entries.filter((e) => e.startsWith('files/clouddrive/files/')).length, count + 2, 'same names stay apart');
  t.equal(readEntry(zip, 'files/clouddrive/files/399-same name.txt').toString(), 'file number 398\n');
  t.same(readEntry(zip, 'files/clouddrive/files/400-same name.txt'), Buffer.concat([PNG, Buffer.from('#399')]));
  t.same(readEntry(zip, 'files/clouddrive/files/401-same name.txt'), large, 'the large file, streamed');
  t.same(readEntry(zip, 'files/clouddrive/files/402-same name.txt'), large, 'the file larger than recorded, streamed');
  const methods = execFileSync('unzip', ['-v', zip], { env: UNZIP_ENV }).toString();
  t.match(methods, /\bStored\b.*400-same name\.txt/, 'a PNG read whole is stored');
  t.match(methods, /\bDefl:\S*\b.*399-same name\.txt/, 'text read whole is deflated');
  const manifest = JSON.parse(readEntry(zip, 'manifest.json').toString()) as { files: { path: string; size: number; sha256: string }[] };
  const stored = manifest.files.find((f) => f.path === 'files/clouddrive/files/400-same name.txt');
  t.same(stored, { ...stored, size: PNG.length + 4, sha256: sha256(Buffer.concat([PNG, Buffer.from('#399')])) }, 'its size and digest');
  t.equal(manifest.files.find((f) => f.path === 'files/clouddrive/files/402-same name.txt')?.sha256, sha256(large));
  execFileSync('unzip', ['-tq', zip], { env: UNZIP_ENV });
});

t.test("the manifest takes a file's recorded SHA-256 when the file is found at its recorded size", async (t) => {
  const s = await stores(t.testdir());
  const req = request('77777777-7777-4777-8777-777777777777', 'export');
  // Recorded digests that are not the bytes' own, so that a digest computed again would show.
  const recorded = 'AB'.repeat(32);
  const files: [string, Buffer, string, number, string | undefined][] = [
    ['stored', Buffer.concat([PNG, Buffer.from('#1')]), 'image/png', PNG.length + 2, recorded],
    ['deflated', Buffer.from('plain text, deflated\n'), 'text/plain', 21, recorded],
    ['other-size', Buffer.concat([PNG, Buffer.from('#3')]), 'image/png', 10, recorded],
    ['not-a-digest', Buffer.concat([PNG, Buffer.from('#4')]), 'image/png', PNG.length + 2, 'not a digest'],
    ['none', Buffer.concat([PNG, Buffer.from('#5')]), 'image/png', PNG.length + 2, undefined],
  ];
  const records: CollectedRecord[] = [];
  for (const [id, bytes, mediaType, size, sha256] of files) {
    await s.featureBlobs.put(`drive/${id}`, bytes);
    records.push({ dataset: 'files', row: { id }, file: { blobKey: `drive/${id}`, name: `${id}.bin`, mediaType, size, sha256 } });
  }
  await writePartial(s.results, `partials/${req.id}/clouddrive.ndjson`, records, datasets.get('clouddrive')!);
  const tasks = [task(req.id, 'clouddrive', { partialKey: `partials/${req.id}/clouddrive.ndjson` })];
  const result = await assembleResult(input(s, req, tasks));
  const zip = path.join(s.dir, 'results', result.key);
  const manifest = JSON.parse(readEntry(zip, 'manifest.json').toString()) as { files: { path: string; size: number; sha256: string }[] };
  const digest = (id: string) => manifest.files.find((f) => f.path.endsWith(`-${id}.bin`))?.sha256;
  const own = (id: string) => sha256(readEntry(zip, manifest.files.find((f) => f.path.endsWith(`-${id}.bin`))!.path));
  t.equal(digest('stored'), recorded.toLowerCase(), 'a file stored from memory: as recorded (in lower case)');
  t.equal(digest('deflated'), recorded.toLowerCase(), 'a file deflated: as recorded');
  t.equal(digest('other-size'), own('other-size'), 'found at another size: computed');
  t.equal(digest('not-a-digest'), own('not-a-digest'), 'recorded digest not well-formed: computed');
  t.equal(digest('none'), own('none'), 'no recorded digest: computed');
  execFileSync('unzip', ['-tq', zip], { env: UNZIP_ENV });
});

t.test('a store failing mid-file aborts the result and leaves nothing behind', async (t) => {
  const s = await stores(t.testdir());
  const req = request('55555555-5555-4555-8555-555555555555', 'access');
  // A store that only streams (readWhole gives every file to `get`), failing mid-file.
  const broken: BlobStore = Object.assign(Object.create(s.featureBlobs) as BlobStore, {
    readWhole: async () => undefined,
    get(): Readable {
      return new Readable({
        read() {
          this.push(Buffer.alloc(1024, 1));
          this.destroy(new Error('connection reset'));
        },
      });
    },
  });
  const tasks = await collectionTasks(s, req.id);
  await t.rejects(assembleResult(input(s, req, tasks, { featureBlobs: broken })), /connection reset/);
  t.same(readdirSync(path.join(s.dir, 'results', 'results', req.id)), [], 'no result and no temporary file');
});

t.test('a corrupt partial index fails only its feature, with a clear reason', async (t) => {
  const s = await stores(t.testdir());
  const req = request('67676767-6767-4767-8767-676767676767', 'export');
  const imKey = `partials/${req.id}/im.ndjson`;
  await writePartial(s.results, imKey, imRecords, datasets.get('im')!);
  // Counts that are not counts: bytes read back are checked against the index's schema, not trusted.
  await s.results.put(`${imKey}.datasets/index.json`, JSON.stringify({ datasets: { messages: { key: `${imKey}.datasets/1.ndjson`, rows: 'many' } } }));
  const tasks = [task(req.id, 'im', { partialKey: imKey, counts: { messages: 5, attachments: 4, reactions: 1 } })];
  const result = await assembleResult(input(s, req, tasks));
  const manifest = JSON.parse(readEntry(path.join(s.dir, 'results', result.key), 'manifest.json').toString('utf8'));
  const im = manifest.features.find((f: { id: string }) => f.id === 'im');
  t.same([im.status, im.error], ['failed', 'the collected data could not be read']);
  t.notOk(
    manifest.files.some((f: { path: string }) => f.path.startsWith('im/')),
    'no dataset file of the feature whose partial cannot be read',
  );
});

t.test('a row the text worker cannot read fails the export and leaves nothing behind', async (t) => {
  const s = await stores(t.testdir());
  const req = request('66666666-6666-4666-8666-666666666666', 'export');
  const imKey = `partials/${req.id}/im.ndjson`;
  const spool = `${imKey}.datasets/1.ndjson`;
  const lines = `${JSON.stringify(messages[0])}\n{"id":"m2", not json\n`;
  await s.results.put(spool, lines);
  const index = { datasets: { messages: { key: spool, rows: 2, bytes: Buffer.byteLength(lines), files: 0, fileBytes: 0 } } };
  await s.results.put(`${imKey}.datasets/index.json`, JSON.stringify(index));
  const tasks = [task(req.id, 'im', { partialKey: imKey, counts: { messages: 2, attachments: 0, reactions: 0 } })];
  const failed = assembleResult(input(s, req, tasks, { prepareTextBytes: 0 }));
  // The line's number, never its content (personal data).
  await t.rejects(failed, { name: 'Error', message: /line 2 is not a collected row$/ });
  await failed.catch((err: Error) => t.notMatch(err.message, /m2/, 'no row content in the error'));
  t.same(readdirSync(path.join(s.dir, 'results', 'results', req.id)), [], 'no result and no temporary file');
  t.notOk(existsSync(path.join(s.dir, 'results', 'work', req.id, 'prepared')), 'no prepared text left');
});
