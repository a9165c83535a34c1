import { createCipheriv, createDecipheriv, createHash, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobNotFoundError, writeBody, type BlobReader, type BlobStore, type BlobWriter, type ByteRange } from './blob-store.js';
import { detach, ownsMemory } from './owned-memory.js';

/**
 * Results at rest: AES-256-GCM over any BlobStore, in fixed-size segments, so that reads stream
 * and a range read decrypts only the segments it covers.
 *
 *   header   "DSRE" | version 1 (1 byte) | key id (8 bytes) | salt (16 bytes)             29 bytes
 *   segment  nonce (12 bytes) | ciphertext (64 KiB, the last one 0..64 KiB) | tag (16 bytes)
 *
 * Every blob has its own key, HKDF-SHA256(master key, salt), and every segment its own random
 * nonce. A segment's AAD is the header, its index (uint32) and a final flag (1 on the last one),
 * so the header cannot be altered and segments cannot be reordered, swapped between blobs or cut
 * off at the end unnoticed. Every blob has at least one segment (an empty one for empty content),
 * so the plaintext size follows from the stored size alone.
 */

const MAGIC = Buffer.from('DSRE', 'ascii');
const VERSION = 1;
const KEY_ID_SIZE = 8;
const SALT_SIZE = 16;
export const HEADER_SIZE = MAGIC.length + 1 + KEY_ID_SIZE + SALT_SIZE;
export const SEGMENT_SIZE = 64 * 1024;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const OVERHEAD = NONCE_SIZE + TAG_SIZE;
const SEALED_SEGMENT_SIZE = SEGMENT_SIZE + OVERHEAD;

/** The stored bytes are not what this store wrote with this key: altered, truncated or foreign. */
export class BlobIntegrityError extends Error {
  override name = 'BlobIntegrityError';
}

interface Sealing {
  header: Buffer;
  /** A KeyObject, made once per blob: given a Buffer, every cipher (one per segment) makes its own. */
  key: KeyObject;
}

/** Names a key without revealing it, so a blob written under another key fails clearly. */
function keyIdOf(key: Buffer): Buffer {
  return createHash('sha256').update('dsar results key id\0').update(key).digest().subarray(0, KEY_ID_SIZE);
}

function blobKey(master: KeyObject, salt: Buffer): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', master, salt, 'dsar results v1', 32)));
}

function aad(header: Buffer, index: number, final: boolean): Buffer {
  const position = Buffer.alloc(5);
  position.writeUInt32BE(index, 0);
  position[4] = final ? 1 : 0;
  return Buffer.concat([header, position]);
}

/**
 * A sealed segment as its pieces (nonce, the ciphertext of each piece of plaintext, tag), pushed as
 * they are: joining them would copy every byte of the blob once more, and garbage of that size
 * makes V8 collect often. The plaintext comes in the pieces of the chunks it spans (a zip's file
 * data ends mid-segment once per file), sealed without being joined first.
 */
function seal(sealing: Sealing, nonce: Buffer, plaintext: Buffer[], index: number, final: boolean): Buffer[] {
  const cipher = createCipheriv('aes-256-gcm', sealing.key, nonce);
  cipher.setAAD(aad(sealing.header, index, final));
  const sealed = [nonce];
  for (const piece of plaintext) sealed.push(cipher.update(piece));
  cipher.final();
  sealed.push(cipher.getAuthTag());
  return sealed;
}

function unseal(sealing: Sealing, sealed: Buffer, index: number, final: boolean): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', sealing.key, sealed.subarray(0, NONCE_SIZE));
  decipher.setAAD(aad(sealing.header, index, final));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  try {
    const plaintext = decipher.update(sealed.subarray(NONCE_SIZE, sealed.length - TAG_SIZE));
    // GCM yields everything from update(); final() only checks the tag.
    decipher.final();
    return plaintext;
  } catch {
    throw new BlobIntegrityError(`segment ${index} failed authentication`);
  }
}

/** Random nonces drawn a batch at a time: one call to the random source per 256 segments, not one each. */
class Nonces {
  private batch = Buffer.alloc(0);
  private used = 0;

  next(): Buffer {
    if (this.used === this.batch.length) {
      this.batch = randomBytes(NONCE_SIZE * 256);
      this.used = 0;
    }
    this.used += NONCE_SIZE;
    return this.batch.subarray(this.used - NONCE_SIZE, this.used);
  }
}

interface Layout {
  segments: number;
  /** Plaintext bytes. */
  size: number;
  sealedSize(index: number): number;
}

function layoutOf(stored: number): Layout {
  const body = stored - HEADER_SIZE;
  const rest = body % SEALED_SEGMENT_SIZE;
  if (body < OVERHEAD || (rest > 0 && rest < OVERHEAD)) {
    throw new BlobIntegrityError('the stored size is not that of an encrypted blob');
  }
  const segments = Math.floor(body / SEALED_SEGMENT_SIZE) + (rest > 0 ? 1 : 0);
  const lastSealed = rest > 0 ? rest : SEALED_SEGMENT_SIZE;
  return {
    segments,
    size: body - segments * OVERHEAD,
    sealedSize: (index) => (index === segments - 1 ? lastSealed : SEALED_SEGMENT_SIZE),
  };
}

/** Bytes gathered from a stream's chunks and taken off the front, copying only the bytes of a take that spans chunks. */
class Chunks {
  private parts: Buffer[] = [];
  length = 0;

  add(chunk: Buffer): void {
    this.parts.push(chunk);
    this.length += chunk.length;
  }

  /** The next `n` bytes as the pieces of the chunks they lie in, without a copy. */
  takePieces(n: number): Buffer[] {
    this.length -= n;
    const pieces: Buffer[] = [];
    for (let left = n; left > 0; ) {
      const part = this.parts[0]!;
      if (part.length <= left) {
        pieces.push(part);
        this.parts.shift();
        left -= part.length;
      } else {
        pieces.push(part.subarray(0, left));
        this.parts[0] = part.subarray(left);
        left = 0;
      }
    }
    return pieces;
  }

  take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.length -= n;
    const head = this.parts[0]!;
    if (head.length >= n) {
      this.parts[0] = head.subarray(n);
      if (head.length === n) this.parts.shift();
      return head.subarray(0, n);
    }
    const taken = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const part = this.parts[0]!;
      const count = Math.min(part.length, n - filled);
      part.copy(taken, filled, 0, count);
      filled += count;
      if (count === part.length) this.parts.shift();
      else this.parts[0] = part.subarray(count);
    }
    return taken;
  }
}

/** Ciphertext pieces smaller than this are left to the garbage collector (the last of a blob, a few bytes of a file's end). */
const CIPHERTEXT_FREED_BYTES = 4 * 1024;

class Encryptor extends Transform {
  plaintextSize = 0;
  private index = 0;
  private readonly pending = new Chunks();
  private readonly nonces = new Nonces();
  /** Bytes pushed on: where the next piece starts in the stored blob. */
  private pushed = 0;
  /** Ciphertext pushed on, in order, with where each ends in the stored blob. */
  private readonly sent: { memory: ArrayBuffer; end: number }[] = [];

  constructor(
    private readonly sealing: Sealing,
    /** The inner store's bytes taken in for good (its BlobWriter.consumed), if it says. */
    private readonly stored?: () => number,
  ) {
    super();
    this.pushOn(sealing.header);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.plaintextSize += chunk.length;
    this.pending.add(chunk);
    this.release();
    try {
      // A full segment is held back until more bytes come: only the last one may be sealed as final.
      while (this.pending.length > SEGMENT_SIZE) {
        for (const piece of seal(this.sealing, this.nonces.next(), this.pending.takePieces(SEGMENT_SIZE), this.index++, false)) {
          this.pushOn(piece);
        }
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private pushOn(piece: Buffer): void {
    this.pushed += piece.length;
    // A segment's ciphertext is memory of its own (cipher.update's), 64 KiB of it per segment.
    if (this.stored && piece.length >= CIPHERTEXT_FREED_BYTES && ownsMemory(piece)) this.sent.push({ memory: piece.buffer, end: this.pushed });
    this.push(piece);
  }

  /**
   * Frees the ciphertext the inner store has taken in (detached: nothing else holds it). Left to
   * the garbage collector, it waited for the main thread's next scavenge: tens of MB of a 2 GiB
   * result at any time, the most of its peak RSS (bench/README.md, session 16).
   */
  private release(): void {
    const stored = this.stored?.() ?? 0;
    while (this.sent.length > 0 && this.sent[0]!.end <= stored) detach(this.sent.shift()!.memory);
  }

  /** Plaintext bytes sealed (ciphertext is new memory): the rest are held until their segment is full. */
  get consumed(): number {
    return this.plaintextSize - this.pending.length;
  }

  override _flush(done: TransformCallback): void {
    for (const piece of seal(this.sealing, this.nonces.next(), this.pending.takePieces(this.pending.length), this.index, true)) {
      this.pushOn(piece);
    }
    done();
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export class EncryptedBlobStore implements BlobStore {
  private readonly keyId: Buffer;
  private readonly key: KeyObject;
  /** Over a store that reads at positions (local): reads decrypted into the caller's buffers. */
  readonly reader?: (key: string) => Promise<BlobReader>;

  constructor(
    private readonly inner: BlobStore,
    key: Buffer,
  ) {
    if (key.length !== 32) throw new Error('the results encryption key must be 32 bytes');
    this.keyId = keyIdOf(key);
    this.key = createSecretKey(key);
    if (inner.reader) this.reader = (blob) => this.openReader(blob);
  }

  async put(key: string, body: Readable | Buffer | string): Promise<{ size: number }> {
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      // Sealed in memory and put whole: the inner store may write a small body in one go.
      const plain = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
      await this.inner.put(key, this.sealWhole(plain));
      return { size: plain.length };
    }
    const { writer, encryptor } = await this.open(key);
    await writeBody(writer, body);
    return { size: encryptor.plaintextSize };
  }

  async writer(key: string): Promise<BlobWriter> {
    return (await this.open(key)).writer;
  }

  get(key: string, range?: ByteRange): Readable {
    return Readable.from(this.plaintext(key, range), { objectMode: false });
  }

  /** The stored bytes read whole (one read of a local file, no stream) and opened in memory. */
  async readWhole(key: string, maxBytes: number): Promise<Buffer | undefined> {
    const segments = Math.floor(maxBytes / SEGMENT_SIZE) + 1;
    const stored = await this.inner.readWhole(key, HEADER_SIZE + segments * OVERHEAD + maxBytes);
    if (!stored) return undefined;
    try {
      return this.openWhole(stored, maxBytes);
    } catch {
      // Damaged: `get` says how.
      return undefined;
    }
  }

  async size(key: string): Promise<number | undefined> {
    const stored = await this.inner.size(key);
    return stored === undefined ? undefined : layoutOf(stored).size;
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  deletePrefix(prefix: string): Promise<void> {
    return this.inner.deletePrefix(prefix);
  }

  private async open(key: string): Promise<{ writer: BlobWriter; encryptor: Encryptor }> {
    const inner = await this.inner.writer(key);
    const encryptor = new Encryptor(this.newSealing(), inner.consumed?.bind(inner));
    const piped = pipeline(encryptor, inner.stream);
    // commit() awaits it; after abort() its rejection is expected and must not go unhandled.
    piped.catch(() => undefined);
    const writer: BlobWriter = {
      stream: encryptor,
      consumed: () => encryptor.consumed,
      commit: async () => {
        if (!encryptor.writableEnded) encryptor.end();
        await piped;
        await inner.commit();
      },
      abort: async () => {
        encryptor.destroy();
        await inner.abort();
      },
    };
    return { writer, encryptor };
  }

  /** The blob the Encryptor would write for `plain`: the header, then its segments, the last one final. */
  private sealWhole(plain: Buffer): Buffer {
    const sealing = this.newSealing();
    const segments = Math.max(1, Math.ceil(plain.length / SEGMENT_SIZE));
    const nonces = randomBytes(NONCE_SIZE * segments);
    const pieces = [sealing.header];
    for (let index = 0; index < segments; index++) {
      const nonce = nonces.subarray(index * NONCE_SIZE, (index + 1) * NONCE_SIZE);
      const segment = plain.subarray(index * SEGMENT_SIZE, (index + 1) * SEGMENT_SIZE);
      pieces.push(...seal(sealing, nonce, [segment], index, index === segments - 1));
    }
    return Buffer.concat(pieces);
  }

  private newSealing(): Sealing {
    const salt = randomBytes(SALT_SIZE);
    return { header: Buffer.concat([MAGIC, Buffer.of(VERSION), this.keyId, salt]), key: blobKey(this.key, salt) };
  }

  private sealingOf(header: Buffer): Sealing {
    if (header.length !== HEADER_SIZE || !header.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new BlobIntegrityError('not an encrypted blob');
    }
    if (header[MAGIC.length] !== VERSION) throw new BlobIntegrityError('unknown encrypted blob version');
    const keyIdAt = MAGIC.length + 1;
    if (!header.subarray(keyIdAt, keyIdAt + KEY_ID_SIZE).equals(this.keyId)) {
      throw new BlobIntegrityError('the blob was encrypted with another key');
    }
    return { header, key: blobKey(this.key, header.subarray(keyIdAt + KEY_ID_SIZE)) };
  }

  private openWhole(stored: Buffer, maxBytes: number): Buffer | undefined {
    const layout = layoutOf(stored.length);
    if (layout.size > maxBytes) return undefined;
    const sealing = this.sealingOf(stored.subarray(0, HEADER_SIZE));
    const plain: Buffer[] = [];
    let at = HEADER_SIZE;
    for (let index = 0; index < layout.segments; index++) {
      const size = layout.sealedSize(index);
      plain.push(unseal(sealing, stored.subarray(at, at + size), index, index === layout.segments - 1));
      at += size;
    }
    return plain.length === 1 ? plain[0] : Buffer.concat(plain, layout.size);
  }

  /**
   * A reader whose reads decrypt the segments they cover into the caller's buffer: each segment's
   * plaintext (new memory from `decipher.update`) is copied and freed at once, where a stream's
   * chunks wait for the garbage collector. The sealed bytes of a read come in one read of the inner
   * store, into a buffer used again.
   */
  private async openReader(key: string): Promise<BlobReader> {
    const stored = await this.inner.size(key);
    if (stored === undefined) throw new BlobNotFoundError(key);
    const layout = layoutOf(stored);
    const inner = await this.inner.reader!(key);
    const header = Buffer.allocUnsafe(HEADER_SIZE);
    let sealing: Sealing;
    try {
      if ((await inner.read(header, HEADER_SIZE, 0)) < HEADER_SIZE) throw new BlobIntegrityError('the blob ended early');
      sealing = this.sealingOf(header);
    } catch (err) {
      await inner.close();
      throw err;
    }
    let sealed = Buffer.alloc(0);
    const read = async (into: Buffer, length: number, position: number): Promise<number> => {
      const end = Math.min(position + length, layout.size);
      if (position >= end) return 0;
      const first = Math.floor(position / SEGMENT_SIZE);
      const last = Math.floor((end - 1) / SEGMENT_SIZE);
      const span = (last - first) * SEALED_SEGMENT_SIZE + layout.sealedSize(last);
      if (sealed.length < span) sealed = Buffer.allocUnsafe(span);
      if ((await inner.read(sealed, span, HEADER_SIZE + first * SEALED_SEGMENT_SIZE)) < span) {
        throw new BlobIntegrityError('the blob ended early');
      }
      let filled = 0;
      for (let index = first; index <= last; index++) {
        const at = (index - first) * SEALED_SEGMENT_SIZE;
        const plain = unseal(sealing, sealed.subarray(at, at + layout.sealedSize(index)), index, index === layout.segments - 1);
        const from = Math.max(position - index * SEGMENT_SIZE, 0);
        filled += plain.copy(into, filled, from, Math.min(plain.length, end - index * SEGMENT_SIZE));
        if (ownsMemory(plain)) detach(plain.buffer);
      }
      return filled;
    };
    return { read, close: () => inner.close() };
  }

  /** Reads the header, then only the segments that hold `range`, and yields their plaintext. */
  private async *plaintext(key: string, range?: ByteRange): AsyncGenerator<Buffer> {
    const stored = await this.inner.size(key);
    if (stored === undefined) throw new BlobNotFoundError(key);
    const layout = layoutOf(stored);
    if (range && (range.start < 0 || range.start > range.end || range.end >= layout.size)) {
      throw new RangeError('the range lies outside the blob');
    }
    const want = range ?? { start: 0, end: layout.size - 1 };
    const first = Math.floor(want.start / SEGMENT_SIZE);
    const last = range ? Math.floor(range.end / SEGMENT_SIZE) : layout.segments - 1;
    const read = this.inner.reader ? this.readSealed(key, layout, first, last) : this.streamSealed(key, stored, layout, first, last);
    let sealing: Sealing | undefined;
    let index = first;
    for await (const sealed of read) {
      if (!sealing) {
        sealing = this.sealingOf(sealed);
        continue;
      }
      const plain = unseal(sealing, sealed, index, index === layout.segments - 1);
      const offset = index * SEGMENT_SIZE;
      const part = plain.subarray(Math.max(want.start - offset, 0), Math.min(want.end - offset + 1, plain.length));
      if (part.length > 0) yield part;
      index += 1;
    }
    if (index <= last) throw new BlobIntegrityError('the blob ended early');
  }

  /**
   * The header, then the sealed segments `first` to `last`, read into two buffers in turn: one is
   * opened while the next segment is read into the other, and nothing is allocated per segment.
   * Each segment yielded must be opened before the next is asked for. Stops short if the blob does.
   */
  private async *readSealed(key: string, layout: Layout, first: number, last: number): AsyncGenerator<Buffer> {
    const reader = await this.inner.reader!(key);
    const buffers = [Buffer.allocUnsafe(SEALED_SEGMENT_SIZE), Buffer.allocUnsafe(SEALED_SEGMENT_SIZE)];
    const readSegment = async (index: number) => {
      const into = buffers[index % 2]!;
      return into.subarray(0, await reader.read(into, layout.sealedSize(index), HEADER_SIZE + index * SEALED_SEGMENT_SIZE));
    };
    let next: Promise<Buffer> | undefined;
    try {
      const header = Buffer.allocUnsafe(HEADER_SIZE);
      if ((await reader.read(header, HEADER_SIZE, 0)) < HEADER_SIZE) return;
      yield header;
      let reading = readSegment(first);
      next = reading;
      for (let index = first; index <= last; index++) {
        const sealed = await reading;
        next = undefined;
        if (index < last) next = reading = readSegment(index + 1);
        if (sealed.length < layout.sealedSize(index)) return;
        yield sealed;
      }
    } finally {
      // A read still on its way lands before the file closes.
      await next?.catch(() => undefined);
      await reader.close();
    }
  }

  /** The same from the stored stream (a store without `reader`), taking segments off its chunks. */
  private async *streamSealed(key: string, stored: number, layout: Layout, first: number, last: number): AsyncGenerator<Buffer> {
    // From the first segment the header is read with the segments, in one read of the store.
    const withHeader = first === 0;
    if (!withHeader) yield await readAll(this.inner.get(key, { start: 0, end: HEADER_SIZE - 1 }));
    const from = withHeader ? 0 : HEADER_SIZE + first * SEALED_SEGMENT_SIZE;
    const to = Math.min(HEADER_SIZE + (last + 1) * SEALED_SEGMENT_SIZE, stored) - 1;
    const pending = new Chunks();
    let header = withHeader;
    let index = first;
    for await (const chunk of this.inner.get(key, { start: from, end: to })) {
      pending.add(chunk as Buffer);
      if (header) {
        if (pending.length < HEADER_SIZE) continue;
        header = false;
        yield pending.take(HEADER_SIZE);
      }
      while (index <= last && pending.length >= layout.sealedSize(index)) {
        yield pending.take(layout.sealedSize(index));
        index += 1;
      }
    }
  }
}
