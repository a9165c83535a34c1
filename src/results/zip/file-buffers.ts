/**
 * Buffers for files read whole into an archive, used again once the store has written them.
 *
 * A fresh buffer per file is 2 GiB of garbage for a 2 GiB export. The file buffers outlive a few
 * young-generation collections on their way to the store (read ahead, then queued behind the
 * zip's output), so V8 moves them to the old generation, where they wait for a full collection:
 * 50–90 MB of dead buffers at any time (bench/README.md). Here a file's buffer goes back to a free
 * list once the store has taken in every byte of the part up to the end of that file's entry
 * (`BlobWriter.consumed`), so no buffer is reused while anything downstream may still read it.
 */

/** Smallest buffer kept: Node pools smaller ones (below Buffer.poolSize / 2). */
const MIN_POOLED = 4 * 1024;

interface Held {
  buffer: Buffer;
  /** Whether everything downstream is done with the buffer. */
  released: () => boolean;
}

export class FileBuffers {
  /** Free buffers by size (powers of two from MIN_POOLED). */
  private readonly free = new Map<number, Buffer[]>();
  /** Handed to the archive, in the order written. */
  private readonly held: Held[] = [];
  /** The whole buffers this pool made (a file's bytes are a view of one). */
  private readonly ours = new WeakSet<ArrayBufferLike>();

  /** A buffer of `size` bytes: one the store is done with, or a new one. Its contents are garbage. */
  readonly take = (size: number): Buffer => {
    if (size < MIN_POOLED) return Buffer.allocUnsafe(size);
    this.reclaim();
    const capacity = 2 ** Math.ceil(Math.log2(size));
    const buffer = this.free.get(capacity)?.pop() ?? this.allocate(capacity);
    return buffer.subarray(0, size);
  };

  /** Whether `data` lies in a buffer of this pool (and must not be kept by whoever it is given to). */
  owns(data: Buffer): boolean {
    return this.ours.has(data.buffer);
  }

  /** `data` (from `take`) may be used again once `released()` holds; checked in order, on later takes. */
  releaseWhen(data: Buffer, released: () => boolean): void {
    if (this.owns(data)) this.held.push({ buffer: Buffer.from(data.buffer, 0, data.buffer.byteLength), released });
  }

  private reclaim(): void {
    while (this.held.length > 0 && this.held[0]!.released()) {
      const { buffer } = this.held.shift()!;
      const list = this.free.get(buffer.length) ?? [];
      list.push(buffer);
      this.free.set(buffer.length, list);
    }
  }

  private allocate(capacity: number): Buffer {
    const buffer = Buffer.allocUnsafeSlow(capacity);
    this.ours.add(buffer.buffer);
    return buffer;
  }
}
