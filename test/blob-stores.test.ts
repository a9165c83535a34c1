import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type { Test } from 'tap';
import { LocalBlobStore, type BlobStore, type ByteRange } from '../src/blobs/blob-store.js';
import { BlobIntegrityError, EncryptedBlobStore, HEADER_SIZE, SEGMENT_SIZE } from '../src/blobs/encrypted-blob-store.js';
import { S3BlobStore, s3Client } from '../src/blobs/s3-blob-store.js';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';

// The stores under the results: the encrypted wrapper, and S3 against a real S3-compatible server.

async function read(store: BlobStore, key: string, range?: ByteRange): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of store.get(key, range)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dsar-blobs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const SIZES = [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE + 5];

/** Ranges that start, end and cross segment boundaries, for content of `size` bytes. */
function rangesFor(size: number): ByteRange[] {
  const candidates = [
    [0, 0],
    [0, size - 1],
    [size - 1, size - 1],
    [SEGMENT_SIZE - 1, SEGMENT_SIZE],
    [SEGMENT_SIZE, 2 * SEGMENT_SIZE - 1],
    [10, 2 * SEGMENT_SIZE + 10],
  ];
  return candidates.filter(([s, e]) => s! >= 0 && s! <= e! && e! < size).map(([start, end]) => ({ start: start!, end: end! }));
}

/** The blob read through the store's reader, `step` bytes a read (as an archive reads it), into one buffer used again. */
async function readByReader(store: BlobStore, key: string, step: number): Promise<Buffer> {
  const reader = await store.reader!(key);
  const into = Buffer.alloc(step);
  const chunks: Buffer[] = [];
  try {
    for (let at = 0; ; ) {
      const count = await reader.read(into, step, at);
      if (count === 0) return Buffer.concat(chunks);
      chunks.push(Buffer.from(into.subarray(0, count)));
      at += count;
    }
  } finally {
    await reader.close();
  }
}

/** Round trips, sizes and ranges any store must get right. */
async function checkRoundTrips(t: Test, store: BlobStore, prefix: string, ranges = rangesFor): Promise<void> {
  for (const size of SIZES) {
    const body = randomBytes(size);
    const key = `${prefix}/blob-${size}`;
    t.equal((await store.put(key, body)).size, size, `put ${size} reports the size`);
    t.equal(await store.size(key), size, `size of ${size}`);
    t.ok((await read(store, key)).equals(body), `${size} bytes read back`);
    t.same(await store.readWhole(key, size), body, `${size} bytes read whole`);
    if (size > 0) t.equal(await store.readWhole(key, size - 1), undefined, `${size} bytes are more than ${size - 1}: not read whole`);
    for (const range of ranges(size)) {
      t.ok((await read(store, key, range)).equals(body.subarray(range.start, range.end + 1)), `${size}: ${range.start}-${range.end}`);
    }
    if (store.reader) {
      for (const step of [1000, SEGMENT_SIZE, 4 * SEGMENT_SIZE, 3 * SEGMENT_SIZE + 17]) {
        t.ok((await readByReader(store, key, step)).equals(body), `${size} bytes through the reader, ${step} a read`);
      }
      const reader = await store.reader(key);
      for (const range of ranges(size)) {
        const into = Buffer.alloc(range.end - range.start + 1);
        t.equal(await reader.read(into, into.length, range.start), into.length, `${size}: the reader reads ${range.start}-${range.end} whole`);
        t.ok(into.equals(body.subarray(range.start, range.end + 1)), `${size}: the reader's ${range.start}-${range.end}`);
      }
      t.equal(await reader.read(Buffer.alloc(10), 10, size), 0, `${size}: nothing to read at the end`);
      await reader.close();
    }
  }
  // A stream written in odd-sized chunks through writer() and committed.
  const body = randomBytes(2 * SEGMENT_SIZE + 333);
  const writer = await store.writer(`${prefix}/streamed`);
  for (let at = 0; at < body.length; at += 7777) writer.stream.write(body.subarray(at, at + 7777));
  await writer.commit();
  t.ok((await read(store, `${prefix}/streamed`)).equals(body), 'a streamed write reads back');

  const aborted = await store.writer(`${prefix}/aborted`);
  aborted.stream.write(randomBytes(1000));
  await aborted.abort();
  t.equal(await store.size(`${prefix}/aborted`), undefined, 'an aborted write leaves nothing');

  t.equal(await store.size(`${prefix}/missing`), undefined);
  await t.rejects(read(store, `${prefix}/missing`), { code: 'ENOENT' }, 'a missing blob fails its stream');
  if (store.reader) await t.rejects(store.reader(`${prefix}/missing`), { code: 'ENOENT' }, 'a missing blob is not opened for reads');
  await t.rejects(read(store, '../outside'), /invalid blob key/, 'keys cannot leave the store');
  // Not read whole: the caller streams it instead, and `get` says what is wrong.
  t.equal(await store.readWhole(`${prefix}/missing`, 1024), undefined, 'a missing blob is not read whole');
  t.equal(await store.readWhole('../outside', 1024), undefined, 'nor is a key outside the store');
}

t.test('a local directory', async (t) => {
  await checkRoundTrips(t, new LocalBlobStore(await tempDir(t)), 'plain');
});

t.test('a write aborted while the disk still writes: nothing left unhandled, nothing left behind', async (t) => {
  const dir = await tempDir(t);
  const unhandled: unknown[] = [];
  const keep = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', keep);
  t.teardown(() => process.off('unhandledRejection', keep));
  for (const store of [new LocalBlobStore(dir), new EncryptedBlobStore(new LocalBlobStore(dir), randomBytes(32))]) {
    const writer = await store.writer('partials/r1/im/messages.ndjson');
    // A task failing (its store gone) aborts the partial it was writing while a block is on its way to disk.
    await new Promise((resolve) => writer.stream.write(Buffer.from('{}'), resolve));
    writer.stream.write(randomBytes(32 * 1024 * 1024));
    await writer.abort();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.same(unhandled, [], 'the write failing after the abort is not a rejection nobody handles (which stops the worker)');
  t.same(await readdir(path.join(dir, 'partials/r1/im')), [], 'no half-written file');
});

t.test('encrypted over a local directory', async (t) => {
  const dir = await tempDir(t);
  const local = new LocalBlobStore(dir);
  const key = randomBytes(32);
  const store = new EncryptedBlobStore(local, key);
  t.type(store.reader, 'function', 'over a local store it reads at positions (an archive reads deflated entries so)');
  await checkRoundTrips(t, store, 'round');

  const zipLike = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), randomBytes(3 * SEGMENT_SIZE)]);
  await store.put('results/r1/result.zip', zipLike);
  const onDisk = readFileSync(path.join(dir, 'results/r1/result.zip'));
  t.equal(onDisk.subarray(0, 4).toString('latin1'), 'DSRE', 'stored with the format header');
  t.equal(onDisk.indexOf(zipLike.subarray(0, 64)), -1, 'no plaintext on disk');
  t.equal(onDisk.length, HEADER_SIZE + zipLike.length + 4 * 28, 'header plus nonce and tag per segment');
  const nonces = [0, 1, 2, 3].map((i) => onDisk.subarray(HEADER_SIZE + i * (SEGMENT_SIZE + 28), HEADER_SIZE + i * (SEGMENT_SIZE + 28) + 12));
  t.equal(new Set(nonces.map((n) => n.toString('hex'))).size, 4, 'every segment has a nonce of its own');

  const other = new EncryptedBlobStore(local, randomBytes(32));
  await t.rejects(read(other, 'results/r1/result.zip'), /another key/, 'another key cannot read it');
});

t.test("an encrypted write frees each segment's ciphertext once the inner store has taken it in", async (t) => {
  const dir = await tempDir(t);
  /** A local store whose writes are seen: every chunk its writer's stream was given. */
  class Seen extends LocalBlobStore {
    readonly chunks: Buffer[] = [];
    override async writer(key: string) {
      const inner = await super.writer(key);
      const write = inner.stream.write.bind(inner.stream) as (chunk: Buffer, ...rest: unknown[]) => boolean;
      (inner.stream as unknown as { write: typeof write }).write = (chunk, ...rest) => {
        this.chunks.push(chunk);
        return write(chunk, ...rest);
      };
      return inner;
    }
  }
  const local = new Seen(dir);
  const store = new EncryptedBlobStore(local, randomBytes(32));
  const plain = randomBytes(40 * SEGMENT_SIZE + 123);
  const writer = await store.writer('results/r1/freed.zip');
  // In pieces, as a zip's output comes: the encryptor frees what the file has as more comes in.
  for (let at = 0; at < plain.length; at += 16 * 1024) {
    await new Promise<void>((resolve) => writer.stream.write(plain.subarray(at, at + 16 * 1024), () => resolve()));
  }
  await writer.commit();
  // 40 segments of four 16 KiB pieces of ciphertext each (and a nonce and a tag, left to the collector).
  const freed = local.chunks.filter((c) => c.buffer.byteLength === 0).length;
  t.ok(freed >= 100 && freed <= 164, `${freed} of ${local.chunks.length} chunks freed after they were written`);
  t.ok((await read(store, 'results/r1/freed.zip')).equals(plain), 'the blob reads back whole');
});

t.test('tampering: any altered, moved or missing byte fails the read', async (t) => {
  const dir = await tempDir(t);
  const store = new EncryptedBlobStore(new LocalBlobStore(dir), randomBytes(32));
  const body = randomBytes(3 * SEGMENT_SIZE + 100);
  const file = path.join(dir, 'b');
  const fresh = async () => {
    await store.put('b', body);
    return readFileSync(file);
  };
  const sealed = SEGMENT_SIZE + 28;
  const positions = {
    'header version': 4,
    'header salt': HEADER_SIZE - 1,
    'a nonce': HEADER_SIZE + sealed,
    'ciphertext': HEADER_SIZE + sealed + 500,
    'a tag': HEADER_SIZE + 2 * sealed - 1,
    'the last byte': HEADER_SIZE + 3 * sealed + 100 + 27,
  };
  for (const [what, at] of Object.entries(positions)) {
    const bytes = await fresh();
    bytes[at]! ^= 0x01;
    writeFileSync(file, bytes);
    await t.rejects(read(store, 'b'), BlobIntegrityError, `flipping a bit of ${what}`);
    await t.rejects(readByReader(store, 'b', SEGMENT_SIZE), BlobIntegrityError, `flipping a bit of ${what}: the reader fails too`);
    t.equal(await store.readWhole('b', body.length), undefined, `flipping a bit of ${what}: not read whole either`);
  }

  for (const [what, length] of [
    ['the whole last segment', HEADER_SIZE + 3 * sealed],
    ['part of the last segment', HEADER_SIZE + 3 * sealed + 50],
    ['everything after the header', HEADER_SIZE],
    ['into the header', 10],
  ] as const) {
    await fresh();
    truncateSync(file, length);
    await t.rejects(read(store, 'b'), BlobIntegrityError, `truncating ${what}`);
    await t.rejects(readByReader(store, 'b', 4 * SEGMENT_SIZE), BlobIntegrityError, `truncating ${what}: the reader fails too`);
    t.equal(await store.readWhole('b', body.length), undefined, `truncating ${what}: not read whole either`);
  }

  const bytes = await fresh();
  const first = bytes.subarray(HEADER_SIZE, HEADER_SIZE + sealed);
  const second = bytes.subarray(HEADER_SIZE + sealed, HEADER_SIZE + 2 * sealed);
  writeFileSync(file, Buffer.concat([bytes.subarray(0, HEADER_SIZE), second, first, bytes.subarray(HEADER_SIZE + 2 * sealed)]));
  await t.rejects(read(store, 'b'), BlobIntegrityError, 'swapping two segments');
  await t.rejects(readByReader(store, 'b', 2 * SEGMENT_SIZE), BlobIntegrityError, 'swapping two segments: the reader fails too');
  t.equal(await store.readWhole('b', body.length), undefined, 'swapping two segments: not read whole either');

  const other = Buffer.from((await fresh()).subarray(HEADER_SIZE, HEADER_SIZE + sealed));
  await store.put('b', body);
  const mixed = readFileSync(file);
  other.copy(mixed, HEADER_SIZE);
  writeFileSync(file, mixed);
  await t.rejects(read(store, 'b'), BlobIntegrityError, "a segment of another blob with the same content");
  t.equal(await store.readWhole('b', body.length), undefined, 'a segment of another blob: not read whole either');
  t.ok((await read(store, 'b', { start: 2 * SEGMENT_SIZE, end: 2 * SEGMENT_SIZE + 10 })).equals(
    body.subarray(2 * SEGMENT_SIZE, 2 * SEGMENT_SIZE + 11),
  ), 'a range read decrypts only its own segments');
});

t.test('S3 against a real S3-compatible server', async (t) => {
  const s3 = await startS3(t);
  const store = new S3BlobStore(s3.client, s3.bucket);
  // s3rver reads "bytes=0-0" as "bytes=0-" (it tests the end for truthiness); S3 itself does not.
  await checkRoundTrips(t, store, 'plain', (size) => rangesFor(size).filter((r) => r.end > 0));

  // Over the 5 MiB part size: a real multipart upload, streamed.
  const big = randomBytes(11 * 1024 * 1024 + 3);
  t.equal((await store.put('big/one', Readable.from([big.subarray(0, 4e6), big.subarray(4e6)]))).size, big.length);
  t.equal(createHash('sha256').update(await read(store, 'big/one')).digest('hex'), createHash('sha256').update(big).digest('hex'));
  t.ok((await read(store, 'big/one', { start: 6e6, end: 6e6 + 99 })).equals(big.subarray(6e6, 6e6 + 100)), 'range of a multipart object');

  for (const key of ['results/abc', 'results/abc/x', 'results/abc/deep/y', 'results/abcd/z']) await store.put(key, key);
  await store.deletePrefix('results/abc');
  t.same(
    await Promise.all(['results/abc', 'results/abc/x', 'results/abc/deep/y', 'results/abcd/z'].map((k) => store.size(k))),
    [undefined, undefined, undefined, 'results/abcd/z'.length],
    'deletePrefix removes the key and what is under it, not its siblings',
  );
  await store.delete('results/abcd/z');
  t.equal(await store.size('results/abcd/z'), undefined);
  await store.delete('results/abcd/z');
  t.pass('deleting twice is fine');
});

t.test('encrypted over S3', async (t) => {
  const s3 = await startS3(t);
  const raw = new S3BlobStore(s3.client, s3.bucket);
  const store = new EncryptedBlobStore(raw, randomBytes(32));
  await checkRoundTrips(t, store, 'enc');
  const body = randomBytes(6 * 1024 * 1024);
  await store.put('results/r/big', body);
  t.equal(await store.size('results/r/big'), body.length);
  t.equal((await read(raw, 'results/r/big', { start: 0, end: 3 })).toString('latin1'), 'DSRE', 'the object is ciphertext');
  const range = { start: 5 * 1024 * 1024 - 7, end: 5 * 1024 * 1024 + 70_000 };
  t.ok((await read(store, 'results/r/big', range)).equals(body.subarray(range.start, range.end + 1)));
  const stored = await read(raw, 'results/r/big');
  stored[stored.length - 1]! ^= 0x80;
  await raw.put('results/r/big', stored);
  await t.rejects(read(store, 'results/r/big'), BlobIntegrityError, 'a flipped byte in the bucket fails the read');
});

t.test('a whole request with RESULTS_STORE=s3: results land encrypted in the bucket', async (t) => {
  const s3 = await startS3(t);
  // The SDK's usual credential variables, as a deployment sets them.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  const sys = await startSystem(t, {
    RESULTS_STORE: 's3',
    S3_BUCKET: s3.bucket,
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
  });
  const created = await createRequest(sys, { type: 'export', subject: { accountId: 'bob' }, features: ['im', 'clock-in'] });
  const done = await waitForEnd(sys, created.id);
  t.equal(done.status, 'completed');
  const res = await sys.app.inject({ method: 'GET', url: `/v1/requests/${done.id}/report`, headers: auth(sys.keys.acme) });
  t.equal(res.statusCode, 200);
  t.equal(createHash('sha256').update(res.rawPayload).digest('hex'), done.result.sha256);
  const raw = new S3BlobStore(s3.client, s3.bucket);
  const row = await sys.ctx.repo.findById(done.id);
  const head = await read(raw, row!.resultKey!, { start: 0, end: 3 });
  t.equal(head.toString('latin1'), 'DSRE', 'the bucket holds ciphertext');
  t.equal(await sys.ctx.results.size(row!.resultKey!), done.result.size);
  const partial = await sys.app.inject({
    method: 'GET',
    url: `/v1/requests/${done.id}/report`,
    headers: { ...auth(sys.keys.acme), range: 'bytes=100-199' },
  });
  t.equal(partial.statusCode, 206);
  t.ok(partial.rawPayload.equals(res.rawPayload.subarray(100, 200)));
});

/** s3rver ships no types; this is the little of it the tests use. */
interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('@20minutes/s3rver') as new (options: object) => S3rverServer;

interface RunningS3 {
  client: ReturnType<typeof s3Client>;
  bucket: string;
  endpoint: string;
}

async function startS3(t: Test): Promise<RunningS3> {
  const bucket = 'dsar-results';
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: await tempDir(t),
    configureBuckets: [{ name: bucket }],
    // s3rver signs bucket-level paths without the trailing slash the SDK signs (ListObjectsV2),
    // so it would refuse those; what is tested here is the store, not the server's signatures.
    allowMismatchedSignatures: true,
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = s3Client(
    { bucket, region: 'us-east-1', endpoint, forcePathStyle: true },
    { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } },
  );
  t.teardown(async () => {
    client.destroy();
    await server.close();
  });
  return { client, bucket, endpoint };
}
