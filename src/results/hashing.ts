import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * A pass-through that counts bytes and computes their SHA-256 on the way, so sizes and digests
 * of archive entries and result files come from the bytes actually written, without a second read.
 */
export class HashingPassThrough extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private digest: string | undefined;
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    callback(null, chunk);
  }

  /** Hex SHA-256 of everything that passed; only meaningful once the stream has ended. */
  sha256(): string {
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }
}
