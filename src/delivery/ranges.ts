import type { ByteRange } from '../blobs/blob-store.js';

/**
 * HTTP range requests (RFC 9110 §14): one `bytes=` range, "a-b", "a-" or "-n" (the last n bytes).
 * Anything else (other units, several ranges, bad syntax) is ignored and the whole file served,
 * as the RFC allows; a range that starts past the end cannot be satisfied (416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '') return last === '' ? undefined : suffix(Number(last), size);
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

function suffix(length: number, size: number): ByteRange | 'unsatisfiable' {
  if (length === 0 || size === 0) return 'unsatisfiable';
  return { start: Math.max(size - length, 0), end: size - 1 };
}

/** If-Range: serve the range only while the client's copy is still this one (strong ETag match). */
export function rangeStillValid(ifRange: string | undefined, etag: string): boolean {
  return ifRange === undefined || ifRange.trim() === etag;
}
