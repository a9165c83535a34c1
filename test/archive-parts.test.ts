import t, { type Test } from 'tap';
import { NO_AUTOMATED_DECISIONS, SILENT_NOTICE } from './fixtures/catalogue-notice.js';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import zlib from 'node:zlib';
import { buffer } from 'node:stream/consumers';
import path from 'node:path';
import { Readable } from 'node:stream';
import { LocalBlobStore, type BlobStore } from '../src/blobs/blob-store.js';
import { EncryptedBlobStore } from '../src/blobs/encrypted-blob-store.js';
import { writeZipArchive } from '../src/results/zip/archive.js';
import type { Catalogue } from '../src/catalogue/schema.js';
import type { RequestRow, TaskRow } from '../src/requests/tables.js';
import type { CollectedRecord, DatasetDescription } from '../src/features/adapter.js';
import { assembleResult, type AssembledResult, type AssemblyInput } from '../src/results/assemble.js';
import { readDataset, readSpoolIndex, writePartial } from '../src/results/partials/partials.js';
import { requestRow, taskRow } from './fixtures/rows.js';

/**
 * Results split into parts (RESULT_PART_BYTES): every part is a zip of its own that the system
 * `unzip` opens and tests, no file is split across parts, part 1 holds the access reports and the
 * last part the export manifest, which covers every part.
 */

const UNZIP_ENV = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };

const catalogue: Catalogue = {
  version: '1.0.0-parts',
  sourceSha256: '0'.repeat(64),
  automatedDecisions: NO_AUTOMATED_DECISIONS,
  features: [
    {
      id: 'knowledge',
      name: 'Knowledge base',
      purpose: 'For sharing documents.',
      categories: ['Documents'],
      sources: ['end_user'],
      ...SILENT_NOTICE,
      items: [
        { id: 'documents', label: 'Documents', processing: 'stored', statementText: 'documents' },
        { id: 'notes', label: 'Notes', processing: 'stored', statementText: 'notes' },
      ],
    },
  ],
};

const datasets = new Map<string, DatasetDescription[]>([
  [
    'knowledge',
    [
      { name: 'documents', title: 'Documents', columns: ['id', 'name'], items: { name: 'documents' } },
      { name: 'notes', title: 'Notes', columns: ['id', 'text'], items: { text: 'notes' } },
    ],
  ],
]);

function request(id: string, type: RequestRow['type']): RequestRow {
  return requestRow({ id, type, features: ['knowledge'], catalogueVersion: catalogue.version });
}

function task(requestId: string, partialKey: string): TaskRow {
  return taskRow({ id: `${requestId.slice(0, 30)}000000`, requestId, feature: 'knowledge', partialKey });
}

interface Fixture {
  dir: string;
  results: LocalBlobStore;
  featureBlobs: LocalBlobStore;
  /** Archive path -> original bytes, for every file the rows reference. */
  files: Map<string, Buffer>;
  input(type: RequestRow['type'], id: string, overrides?: Partial<AssemblyInput>): Promise<AssemblyInput>;
}

/** `sizes` files (random bytes, so they are stored as they are) and `notes` rows of text. */
async function fixture(dir: string, sizes: number[], notes = 50): Promise<Fixture> {
  const results = new LocalBlobStore(path.join(dir, 'results'));
  const featureBlobs = new LocalBlobStore(path.join(dir, 'features'));
  const files = new Map<string, Buffer>();
  const records: CollectedRecord[] = [];
  for (const [i, size] of sizes.entries()) {
    const bytes = randomBytes(size);
    const name = `report ${i + 1}.pdf`;
    await featureBlobs.put(`kb/${i}`, bytes);
    files.set(`files/knowledge/documents/${i + 1}-${name}`, bytes);
    records.push({
      dataset: 'documents',
      row: { id: `d${i}`, name },
      file: { blobKey: `kb/${i}`, name, mediaType: 'application/pdf', size },
    });
    // Interleaved, as an adapter may write them.
    if (i < notes) records.push({ dataset: 'notes', row: { id: `n${i}`, text: `note ${i}: ${'lorem ipsum '.repeat(20)}` } });
  }
  for (let i = sizes.length; i < notes; i += 1) {
    records.push({ dataset: 'notes', row: { id: `n${i}`, text: `note ${i}: ${'lorem ipsum '.repeat(20)}` } });
  }
  return {
    dir,
    results,
    featureBlobs,
    files,
    async input(type, id, overrides = {}) {
      const key = `work/${id}/knowledge.ndjson`;
      await writePartial(results, key, records, datasets.get('knowledge') ?? []);
      const req = request(id, type);
      return { request: req, tasks: [task(id, key)], catalogue, datasets, results, featureBlobs, ...overrides };
    },
  };
}

function zipPath(f: Fixture, key: string): string {
  return path.join(f.dir, 'results', key);
}

function names(file: string): string[] {
  return execFileSync('unzip', ['-Z1', file], { env: UNZIP_ENV }).toString('utf8').split('\n').filter(Boolean);
}

function entry(file: string, name: string): Buffer {
  return execFileSync('unzip', ['-p', file, name], { env: UNZIP_ENV, maxBuffer: 64 * 1024 * 1024 });
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every part opens and passes `unzip -t` on its own; its recorded size and digest are the file's. */
function checkParts(t: Test, f: Fixture, result: AssembledResult): string[][] {
  const listing: string[][] = [];
  for (const part of result.parts) {
    const file = zipPath(f, part.key);
    t.doesNotThrow(() => execFileSync('unzip', ['-tq', file], { env: UNZIP_ENV }), `${part.fileName} passes unzip -t`);
    const bytes = readFileSync(file);
    t.equal(part.size, bytes.length, `size of ${part.fileName}`);
    t.equal(part.sha256, sha256(bytes), `sha256 of ${part.fileName}`);
    listing.push(names(file));
  }
  const first = result.parts[0]!;
  t.same(
    { key: result.key, fileName: result.fileName, size: result.size, sha256: result.sha256 },
    first,
    'key, fileName, size and sha256 describe part 1',
  );
  return listing;
}

/** No entry in two parts, and every file whole, byte for byte, in the one part that has it. */
function checkFilesWhole(t: Test, f: Fixture, result: AssembledResult, listing: string[][]): void {
  const all = listing.flat();
  t.equal(new Set(all).size, all.length, 'no entry is in two parts');
  for (const [archivePath, bytes] of f.files) {
    const holders = listing.flatMap((entries, i) => (entries.includes(archivePath) ? [i] : []));
    t.equal(holders.length, 1, `${archivePath} is in exactly one part`);
    const file = zipPath(f, result.parts[holders[0]!]!.key);
    t.ok(entry(file, archivePath).equals(bytes), `${archivePath} is whole`);
  }
}

t.test('an export above the part size is split into complete zips', async (t) => {
  const f = await fixture(t.testdir(), Array.from({ length: 12 }, (_, i) => 9_000 + 1_000 * i));
  const id = '66666666-6666-4666-8666-666666666666';
  const partBytes = 40 * 1024;
  const result = await assembleResult(await f.input('export', id, { partBytes }));

  t.ok(result.parts.length >= 3, `${result.parts.length} parts`);
  t.same(
    result.parts.map((p) => p.fileName),
    result.parts.map((_, i) => `dsar-export-${id}.part${i + 1}.zip`),
    'parts are numbered from 1',
  );
  t.equal(result.key, `results/${id}/dsar-export-${id}.part1.zip`);
  t.equal(result.mediaType, 'application/zip');
  const listing = checkParts(t, f, result);
  for (const part of result.parts) t.ok(part.size <= partBytes, `${part.fileName} (${part.size} bytes) is within the part size`);
  checkFilesWhole(t, f, result, listing);

  const last = listing.length - 1;
  t.equal(listing[last]!.at(-1), 'manifest.json', 'the manifest ends the last part');
  t.notOk(listing.slice(0, last).flat().includes('manifest.json'), 'and is in no other part');
  const manifest = JSON.parse(entry(zipPath(f, result.parts[last]!.key), 'manifest.json').toString('utf8'));
  const expected = listing.flatMap((entries, i) => entries.filter((e) => e !== 'manifest.json').map((e) => ({ path: e, part: i + 1 })));
  t.same(
    manifest.files.map((m: { path: string; part: number }) => ({ path: m.path, part: m.part })).sort(byPath),
    expected.sort(byPath),
    'the manifest lists every entry of every part, with its part',
  );
  for (const m of manifest.files as { path: string; part: number; size: number; sha256: string }[]) {
    const bytes = entry(zipPath(f, result.parts[m.part - 1]!.key), m.path);
    t.equal(m.size, bytes.length, `manifest size of ${m.path}`);
    t.equal(m.sha256, sha256(bytes), `manifest sha256 of ${m.path}`);
  }
  const notes = JSON.parse(entry(zipPath(f, result.parts[partOf(listing, 'knowledge/notes.json')]!.key), 'knowledge/notes.json').toString());
  t.equal(notes.length, 50, 'the rows are all there');
});

t.test('an access result keeps its reports in part 1', async (t) => {
  const f = await fixture(t.testdir(), Array.from({ length: 10 }, () => 12_000));
  const id = '77777777-7777-4777-8777-777777777777';
  const result = await assembleResult(await f.input('access', id, { partBytes: 48 * 1024 }));

  t.ok(result.parts.length >= 2, `${result.parts.length} parts`);
  t.equal(result.fileName, `dsar-access-${id}.part1.zip`);
  const listing = checkParts(t, f, result);
  checkFilesWhole(t, f, result, listing);
  t.ok(listing[0]!.includes('index.html'), 'index.html is in part 1');
  t.ok(listing[0]!.includes('data.json'), 'data.json is in part 1');
  const data = JSON.parse(entry(zipPath(f, result.parts[0]!.key), 'data.json').toString('utf8'));
  const documents = data.features[0].datasets.documents as { file: string }[];
  t.same(
    documents.map((d) => d.file).sort(),
    [...f.files.keys()].sort(),
    'data.json points at every file, whichever part holds it',
  );
});

t.test('a result within the part size is one zip, as before parts', async (t) => {
  const f = await fixture(t.testdir(), [5_000, 6_000, 7_000]);
  const id = '88888888-8888-4888-8888-888888888888';
  const result = await assembleResult(await f.input('export', id));
  t.equal(result.parts.length, 1);
  t.equal(result.fileName, `dsar-export-${id}.zip`);
  const listing = checkParts(t, f, result);
  checkFilesWhole(t, f, result, listing);
  const manifest = JSON.parse(entry(zipPath(f, result.key), 'manifest.json').toString('utf8'));
  t.notOk(
    (manifest.files as Record<string, unknown>[]).some((m) => 'part' in m),
    'no part numbers in a single zip',
  );
});

t.test('a file larger than the part size gets a part of its own, whole', async (t) => {
  const f = await fixture(t.testdir(), [4_000, 100_000, 4_000], 5);
  const id = '99999999-9999-4999-8999-999999999999';
  const result = await assembleResult(await f.input('export', id, { partBytes: 32 * 1024 }));
  const listing = checkParts(t, f, result);
  checkFilesWhole(t, f, result, listing);
  const big = 'files/knowledge/documents/2-report 2.pdf';
  t.same(listing[partOf(listing, big)], [big], 'the large file is alone in its part');
});

t.test('a failure removes every part, finished or not', async (t) => {
  const f = await fixture(t.testdir(), Array.from({ length: 10 }, () => 10_000));
  const id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
  let opened = 0;
  // A store that only streams (readWhole gives every file to `get`), failing mid-file.
  const broken: BlobStore = Object.assign(Object.create(f.featureBlobs) as BlobStore, {
    readWhole: async () => undefined,
    get(key: string): Readable {
      opened += 1;
      if (opened < 8) return f.featureBlobs.get(key);
      return new Readable({
        read() {
          this.push(Buffer.alloc(1024, 1));
          this.destroy(new Error('connection reset'));
        },
      });
    },
  });
  await t.rejects(assembleResult(await f.input('export', id, { partBytes: 24 * 1024, featureBlobs: broken })), /connection reset/);
  t.same(readdirSync(path.join(f.dir, 'results', 'results', id)), [], 'no part and no temporary file is left');
});

t.test('the spools of a split partial give each dataset its own rows', async (t) => {
  const f = await fixture(t.testdir(), [1_000, 2_000], 7);
  const id = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
  const input = await f.input('export', id);
  const key = input.tasks[0]!.partialKey;
  // Before and after an assembly: the same rows from the spools, which the assembly leaves as they are.
  const index = (await readSpoolIndex(f.results, key!))!;
  const before = await collect(readDataset(f.results, index, 'notes'));
  await assembleResult(input);
  t.ok((await f.results.size(`${key}.datasets/index.json`)) !== undefined, 'the index of spools is still there');
  t.same(await collect(readDataset(f.results, (await readSpoolIndex(f.results, key!))!, 'notes')), before);
  t.equal(before.length, 7);
  t.same(await collect(readDataset(f.results, index, 'unknown')), [], 'a dataset without rows has none');
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function partOf(listing: string[][], name: string): number {
  return listing.findIndex((entries) => entries.includes(name));
}

t.test('files read whole go through buffers used again, each written whole (plain and encrypted results)', async (t) => {
  const dir = t.testdir();
  const local = new LocalBlobStore(path.join(dir, 'plain'));
  const stores: [string, BlobStore][] = [
    ['plain', local],
    ['encrypted', new EncryptedBlobStore(new LocalBlobStore(path.join(dir, 'sealed')), randomBytes(32))],
  ];
  for (const [kind, store] of stores) {
    const expected = new Map<string, Buffer>();
    const taken = new Set<ArrayBufferLike>();
    const layout = { baseName: 'reuse', keyFor: (name: string) => `r/${name}`, mtime: new Date(0), partBytes: 4 * 1024 * 1024, expectedBytes: 16 * 1024 * 1024 };
    const parts = await writeZipArchive(store, layout, async (archive) => {
      for (let i = 0; i < 80; i += 1) {
        // Each file overwrites whatever buffer it is given: a buffer used again too early shows as a damaged file.
        const data = randomFillSync(archive.fileBuffers.take(64 * 1024 + ((i * 7919) % (192 * 1024))));
        taken.add(data.buffer);
        expected.set(`f/${i}.bin`, Buffer.from(data));
        await archive.addFile(`f/${i}.bin`, data, { mediaType: 'application/octet-stream', compress: false });
      }
    });
    t.ok(parts.length > 1, `${kind}: several parts`);
    t.ok(taken.size < 40, `${kind}: 80 files went through ${taken.size} buffers`);
    const out = path.join(dir, `${kind}-out`);
    for (const part of parts) {
      const file = path.join(dir, `${kind}-${part.fileName}`);
      writeFileSync(file, await buffer(store.get(part.key)));
      execFileSync('unzip', ['-qo', file, '-d', out], { env: UNZIP_ENV });
    }
    t.equal(readdirSync(path.join(out, 'f')).length, expected.size, `${kind}: every file is in the archive`);
    t.ok([...expected].every(([name, bytes]) => readFileSync(path.join(out, name)).equals(bytes)), `${kind}: every file is whole`);
  }
});

t.test('entries deflated ahead are read into buffers used again, each written whole (plain and encrypted results)', async (t) => {
  const dir = t.testdir();
  /** The store, its reader telling which buffers it read into. */
  const recorded = (store: BlobStore) => {
    const seen = { reads: 0, buffers: new Set<ArrayBufferLike>() };
    const reader = store.reader!.bind(store);
    Object.assign(store, {
      reader: async (key: string) => {
        const inner = await reader(key);
        return {
          read: (into: Buffer, length: number, position: number) => {
            seen.reads += 1;
            seen.buffers.add(into.buffer);
            return inner.read(into, length, position);
          },
          close: () => inner.close(),
        };
      },
    });
    return seen;
  };
  const stores: [string, BlobStore][] = [
    ['plain', new LocalBlobStore(path.join(dir, 'plain'))],
    // Decrypted into the caller's buffers (EncryptedBlobStore.reader).
    ['encrypted', new EncryptedBlobStore(new LocalBlobStore(path.join(dir, 'sealed')), randomBytes(32))],
  ];
  const seen = new Map(stores.map(([kind, store]) => [kind, recorded(store)]));
  for (const [kind, store] of stores) {
    const expected = new Map<string, Buffer>();
    const layout = { baseName: 'deflated', keyFor: (name: string) => `r/${name}`, mtime: new Date(0), partBytes: 4 * 1024 * 1024, expectedBytes: 16 * 1024 * 1024 };
    const parts = await writeZipArchive(store, layout, async (archive) => {
      for (let i = 0; i < 12; i += 1) {
        // Random text deflates to about its size: 1 MiB of deflated bytes, four reads each.
        const text = randomBytes(768 * 1024).toString('base64');
        const deflated = zlib.deflateRawSync(text, { level: 1 });
        await store.put(`w/${i}.deflate`, deflated);
        const entry = { size: text.length, sha256: createHash('sha256').update(text).digest('hex'), crc32: zlib.crc32(text), compressedSize: deflated.length };
        await archive.addDeflated(`t/${i}.txt`, entry, store, `w/${i}.deflate`, 'text/plain');
        expected.set(`t/${i}.txt`, Buffer.from(text));
      }
    });
    t.ok(parts.length > 1, `${kind}: several parts`);
    const out = path.join(dir, `${kind}-out`);
    for (const part of parts) {
      const file = path.join(dir, `${kind}-${part.fileName}`);
      writeFileSync(file, await buffer(store.get(part.key)));
      execFileSync('unzip', ['-qo', file, '-d', out], { env: UNZIP_ENV });
    }
    t.ok([...expected].every(([name, bytes]) => readFileSync(path.join(out, name)).equals(bytes)), `${kind}: every entry is whole`);
  }
  for (const [kind, { reads, buffers }] of seen) {
    t.ok(reads >= 48 && buffers.size < reads / 2, `${kind}: ${reads} reads into ${buffers.size} buffers`);
  }
});
