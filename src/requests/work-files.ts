import type { BlobStore } from '../blobs/blob-store.js';
import { connectorFilesPrefix, workPrefix } from '../blobs/keys.js';
import type { Sql } from '../db/client.js';
import { forgetPseudonyms } from '../features/shared-data.js';
import { RETRYABLE_STATUSES, type RequestStatus } from './lifecycle.js';
import type { TaskRow } from './tables.js';

/** The stores a request's work files are in. */
export interface WorkFileStores {
  results: BlobStore;
  featureBlobs: BlobStore;
  featureSql(feature: string): Sql;
}

/**
 * Whether a request that ended keeps its work files: one that ended with failed tasks may be retried,
 * and its result is then built again from the kept partials and the new ones. They go with the result
 * (expired or erased) or once a retry completes: no longer than the result they belong to.
 */
export function keepsWorkFiles(status: RequestStatus): boolean {
  return (RETRYABLE_STATUSES as readonly RequestStatus[]).includes(status);
}

/**
 * A request's work files: partials (and what was prepared or uploaded beside them), the pseudonyms its
 * shared data was given, and the copies of files a feature service sent through the connector.
 * Personal data, kept no longer than needed. Safe to repeat.
 */
export async function deleteWorkFiles(
  stores: WorkFileStores,
  requestId: string,
  tasks: readonly Pick<TaskRow, 'feature' | 'adapter'>[],
): Promise<void> {
  await stores.results.deletePrefix(workPrefix(requestId));
  for (const sql of new Set(tasks.map((t) => stores.featureSql(t.feature)))) await forgetPseudonyms(sql, requestId);
  for (const task of tasks.filter((t) => t.adapter === 'http')) {
    await stores.featureBlobs.deletePrefix(connectorFilesPrefix(task.feature, requestId));
  }
}
