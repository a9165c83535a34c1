import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

interface ByteMeterOptions {
  /** Compute the SHA-256 of the bytes that pass (`sha256()`). */
  sha256?: boolean;
  /** Fail the stream with `error()` once more than `bytes` have come in. */
  limit?: { bytes: number; error: () => Error };
  /** Called for every chunk: a caller's sign of life (an idle timeout). */
  onChunk?: () => void;
  highWaterMark?: number;
}

/**
 * The one stream that measures bytes on their way somewhere: counts them, optionally hashes them and
 * stops them past a limit, so sizes and digests come from the bytes actually written, without a
 * second read. Subclasses may change how chunks go on (`forward`), not how they are measured.
 */
export class ByteMeter extends Transform {
  size = 0;
  private readonly hash: Hash | undefined;
  private digest: string | undefined;

  constructor(private readonly options: ByteMeterOptions = {}) {
    super(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark });
    this.hash = options.sha256 ? createHash('sha256') : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    const { limit, onChunk } = this.options;
    if (limit && this.size > limit.bytes) {
      callback(limit.error());
      return;
    }
    onChunk?.();
    this.hash?.update(chunk);
    this.forward(chunk);
    callback();
  }

  /** Passes a measured chunk on. */
  protected forward(chunk: Buffer): void {
    this.push(chunk);
  }

  /** Hex SHA-256 of everything that passed; only meaningful once the stream has ended. */
  sha256(): string {
    if (!this.hash) throw new Error('this meter does not hash');
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }
}
