import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/blob-store.js';
import type { CollectedRecord, FileRef } from '../features/adapter.js';

/**
 * Reading the per-feature partials the worker wrote: NDJSON, one CollectedRecord per line.
 * Lines are read one at a time (node:readline over the blob stream), so memory stays flat
 * however many rows a feature holds; the assembler reads a partial several times rather than
 * keep any of it.
 */

/** The partial itself is unusable (missing blob, malformed line); the feature's data cannot be shown. */
export class PartialReadError extends Error {}

/** Every record of a partial, in the order the adapter collected them. No key means no rows. */
export async function* readPartial(store: BlobStore, key: string | null): AsyncGenerator<CollectedRecord> {
  if (key === null) return;
  let input: Readable;
  try {
    input = store.get(key);
  } catch (err) {
    throw new PartialReadError(`partial ${key} cannot be opened`, { cause: err });
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber += 1;
      if (line.trim() === '') continue;
      yield parseRecord(line, key, lineNumber);
    }
  } catch (err) {
    if (err instanceof PartialReadError) throw err;
    throw new PartialReadError(`partial ${key} cannot be read`, { cause: err });
  } finally {
    lines.close();
    input.destroy();
  }
}

/** The records of one dataset; a pass per dataset keeps the output grouped without buffering. */
export async function* readDataset(
  store: BlobStore,
  key: string | null,
  dataset: string,
): AsyncGenerator<CollectedRecord> {
  for await (const record of readPartial(store, key)) {
    if (record.dataset === dataset) yield record;
  }
}

// Messages name the partial and line only: the line itself is personal data and must not reach logs.
function parseRecord(line: string, key: string, lineNumber: number): CollectedRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new PartialReadError(`partial ${key} line ${lineNumber} is not JSON`);
  }
  if (!isRecord(value)) throw new PartialReadError(`partial ${key} line ${lineNumber} is not a collected record`);
  return value;
}

function isRecord(value: unknown): value is CollectedRecord {
  if (!isObject(value) || typeof value.dataset !== 'string' || !isObject(value.row)) return false;
  return value.file === undefined || isFileRef(value.file);
}

function isFileRef(value: unknown): value is FileRef {
  return (
    isObject(value) &&
    typeof value.blobKey === 'string' &&
    typeof value.name === 'string' &&
    typeof value.mediaType === 'string' &&
    typeof value.size === 'number'
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
