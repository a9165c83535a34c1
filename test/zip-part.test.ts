import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import zlib from 'node:zlib';
import {
  NATIVE_CRC32,
  TEXT_DEFLATE_LEVEL,
  YAZL_ENTRIES_SET_ASIDE,
  YAZL_PREPARED_ENTRIES,
  ZipPart,
} from '../src/results/zip/zip-part.js';
import { ZipFile } from './zip.js';

/** zip-part.ts, the one module that relies on yazl's internals: each specialization, checked with the system `unzip`. */

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

function sink(): { stream: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}

t.test('yazl computes CRC-32 with zlib and scans only the entries not yet written', async (t) => {
  t.ok(NATIVE_CRC32, 'buffer-crc32 points at zlib.crc32');
  t.ok(YAZL_ENTRIES_SET_ASIDE, "written entries leave yazl's list until the central directory");
  t.ok(YAZL_PREPARED_ENTRIES, 'entries deflated ahead of time can be written as they are');
});

t.test('streamed, stored and deflated-ahead entries make one valid zip, measured as written', async (t) => {
  const out = sink();
  const part = new ZipPart(out.stream, new Date('2026-01-02T03:04:05Z'), 1);
  const text = 'row,\u00e9\n'.repeat(5000);
  const stored = randomBytes(70_000);
  const deflatedText = Buffer.from('{"prepared":true}\n'.repeat(3000));
  const deflated = zlib.deflateRawSync(deflatedText, { level: TEXT_DEFLATE_LEVEL });
  const entries = [
    await part.add('a/text.csv', Readable.from([Buffer.from(text)]), { mediaType: 'text/csv', compress: true }),
    await part.addStored('files/b.bin', stored, { mediaType: 'application/octet-stream', compress: false }),
    await part.addDeflated(
      'a/prepared.json',
      { size: deflatedText.length, sha256: sha256(deflatedText), crc32: zlib.crc32(deflatedText), compressedSize: deflated.length },
      () => Readable.from([deflated.subarray(0, 100), deflated.subarray(100)]),
      'application/json',
    ),
  ];
  t.equal(part.entryCount, 3);
  const written = await part.finish();
  const bytes = out.bytes();
  t.same(written, { size: bytes.length, sha256: sha256(bytes) }, "the zip's size and digest as it went to the sink");
  t.ok(part.bytesUpperBound >= bytes.length, 'the upper bound holds');
  const zip = new ZipFile(bytes);
  t.same(zip.names(), ['a/text.csv', 'files/b.bin', 'a/prepared.json']);
  t.equal(zip.text('a/text.csv'), text);
  t.ok(zip.read('files/b.bin').equals(stored));
  t.ok(zip.read('a/prepared.json').equals(deflatedText), 'the deflated entry reads back as its text');
  t.same(
    entries.map((e) => [e.path, e.size, e.sha256]),
    [
      ['a/text.csv', Buffer.byteLength(text), sha256(text)],
      ['files/b.bin', stored.length, sha256(stored)],
      ['a/prepared.json', deflatedText.length, sha256(deflatedText)],
    ],
  );
});

t.test('small chunks are joined into buffers used again only once the sink has taken them in', async (t) => {
  // The sink takes each chunk in a turn later and only then copies it: a join buffer used again
  // before that would show in the zip's bytes.
  const chunks: Buffer[] = [];
  const seen = new Set<ArrayBufferLike>();
  let joins = 0;
  let consumed = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      setImmediate(() => {
        if (chunk.length > 64 * 1024) {
          joins += 1;
          seen.add(chunk.buffer);
        }
        chunks.push(Buffer.from(chunk));
        consumed += chunk.length;
        done();
      });
    },
  });
  const part = new ZipPart(stream, new Date(), 1, () => consumed);
  // 7.5 MB: more than the zip's output may run ahead of the sink (4 MiB), so joins are taken in before the last.
  const files = Array.from({ length: 250 }, () => randomBytes(30_000));
  for (const [i, file] of files.entries()) await part.addStored(`files/${i}.bin`, file, { mediaType: 'application/octet-stream', compress: false });
  await part.finish();
  const zip = new ZipFile(Buffer.concat(chunks));
  t.ok(files.every((file, i) => zip.read(`files/${i}.bin`).equals(file)), 'every file reads back as written');
  t.ok(joins >= 25 && seen.size < joins, `${joins} joins in ${seen.size} buffers`);
});

t.test('a deflated entry shorter than announced fails the entry', async (t) => {
  const out = sink();
  const part = new ZipPart(out.stream, new Date(), 1);
  const deflated = zlib.deflateRawSync(Buffer.from('x'.repeat(1000)));
  const announced = { size: 1000, sha256: sha256('x'.repeat(1000)), crc32: 0, compressedSize: deflated.length + 1 };
  await t.rejects(part.addDeflated('x.txt', announced, () => Readable.from([deflated]), 'text/plain'), {
    message: `deflated entry has ${deflated.length} bytes, not ${deflated.length + 1}`,
  });
  part.destroy();
});

t.test('a failing source rejects its entry', async (t) => {
  const out = sink();
  const part = new ZipPart(out.stream, new Date(), 1);
  const source = new Readable({
    read() {
      this.destroy(new Error('disk gone'));
    },
  });
  await t.rejects(part.add('x.txt', source, { mediaType: 'text/plain', compress: true }), { message: 'disk gone' });
  part.destroy();
});
