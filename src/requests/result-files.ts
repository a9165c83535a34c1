import type { BlobStore } from '../blobs/blob-store.js';
import { fileNameOf, resultPrefix } from '../blobs/keys.js';
import type { RequestRepository } from './repository.js';
import type { RequestRow } from './tables.js';

/** One file of a result: the result itself (part 1) or one part of a result split into several. */
export interface ResultFile {
  part: number;
  key: string;
  fileName: string;
  mediaType: string;
  size: number;
  sha256: string;
}

/** The result on record on the request (its first or only file), if it has one. */
export function wholeResult(row: RequestRow): ResultFile | undefined {
  if (!row.resultKey || !row.resultMediaType || row.resultSize === null || !row.resultSha256) return undefined;
  return {
    part: 1,
    key: row.resultKey,
    fileName: fileNameOf(row.resultKey),
    mediaType: row.resultMediaType,
    size: row.resultSize,
    sha256: row.resultSha256,
  };
}


/**
 * Deletes a result's bytes (every file and part under the request's result prefix), then forgets it.
 * The caller has moved the request out of the statuses that serve it first, so that no download
 * starts on what is being deleted. Safe to repeat.
 */
export async function deleteResult(repo: RequestRepository, results: BlobStore, requestId: string): Promise<void> {
  await results.deletePrefix(resultPrefix(requestId));
  await repo.forgetResult(requestId);
}
