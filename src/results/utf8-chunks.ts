/**
 * Text encoded into UTF-8 buffers of about `size` bytes, piece by piece, for streams that write
 * many small strings (rows). Joining the pieces into one string first would make large strings:
 * past 128 KiB (64 Ki characters once any character is outside Latin-1) V8 allocates a string in
 * its old generation, where such strings pile up until a full collection, ~100 MB of RSS at a time.
 */
export class Utf8Chunks {
  private chunk: Buffer;
  private used = 0;

  constructor(private readonly size = 64 * 1024) {
    this.chunk = Buffer.allocUnsafe(size);
  }

  /** Encodes `text`, pushing onto `full` every chunk that fills up (or the text itself, if larger than a chunk). */
  add(text: string, full: Buffer[]): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8: with that much room left, write without
    // measuring first (measuring every row cost as much as writing it).
    if (text.length * 3 <= this.size - this.used) {
      this.used += this.chunk.write(text, this.used, 'utf8');
      return;
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    if (this.used + bytes > this.size) this.flush(full);
    if (bytes > this.size) {
      full.push(Buffer.from(text, 'utf8'));
      return;
    }
    this.used += this.chunk.write(text, this.used, 'utf8');
  }

  /** Pushes what the current chunk holds onto `full` and starts a new one. */
  flush(full: Buffer[]): void {
    if (this.used === 0) return;
    full.push(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafe(this.size);
    this.used = 0;
  }
}
