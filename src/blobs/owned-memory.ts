/**
 * Whether a buffer is all of an ArrayBuffer of its own: not a slice of Node's pool or of a larger
 * read, nor shared memory. Only such memory may be moved to another thread or freed by its holder.
 */
export function ownsMemory(buffer: Uint8Array): buffer is Uint8Array & { buffer: ArrayBuffer } {
  return buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength && buffer.buffer instanceof ArrayBuffer;
}

/** Frees an ArrayBuffer's memory now: ES2024's transfer() to an empty one (the lib this project types against predates it). */
export function detach(buffer: ArrayBuffer): void {
  (buffer as unknown as { transfer(length: number): ArrayBuffer }).transfer(0);
}
