import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
import { connectorFilesPrefix, workPrefix } from '../blobs/keys.js';
import type { Sql } from '../db/client.js';
import { within } from '../dependencies.js';
import { loggableError } from '../errors.js';
import { forgetPseudonyms } from '../features/shared-data.js';
import { forgetErasures } from '../features/erasures/records.js';
import { forgetCorrections } from '../features/corrections/records.js';
import { RETRYABLE_STATUSES, type RequestStatus } from './lifecycle.js';
import type { TaskRow } from './tables.js';

/** The stores a request's work files are in. */
export interface WorkFileStores {
  results: BlobStore;
  featureBlobs: BlobStore;
  featureSql(feature: string): Sql;
  log: Logger;
  /** A feature's store that does not answer within this is given up on (it may be unreachable). */
  storeTimeoutMs: number;
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
 * shared data was given, the erasure records, and the copies of files a feature service sent through the connector.
 * Personal data, kept no longer than needed. Safe to repeat.
 *
 * Answers the features whose store could not forget the request's pseudonyms or erasure records: a store that cannot be
 * reached must not undo the clean-up of the others, so each is tried and the caller decides whether
 * to try again (the assembly job fails so that BullMQ retries it).
 */
export async function deleteWorkFiles(
  stores: WorkFileStores,
  requestId: string,
  tasks: readonly Pick<TaskRow, 'feature' | 'adapter' | 'startedAt'>[],
): Promise<string[]> {
  await stores.results.deletePrefix(workPrefix(requestId));
  for (const task of tasks.filter((t) => t.adapter === 'http')) {
    await stores.featureBlobs.deletePrefix(connectorFilesPrefix(task.feature, requestId));
  }
  return forgetPeopleNumbered(stores, requestId, tasks);
}

/**
 * Pseudonyms, and the records of what an erasure erased or a correction replaced (kept so that a rerun
 * after a crash reports the same), live in the stores of the features whose tasks ran, so only a task that started can have left any.
 */
async function forgetPeopleNumbered(
  stores: WorkFileStores,
  requestId: string,
  tasks: readonly Pick<TaskRow, 'feature' | 'startedAt'>[],
): Promise<string[]> {
  const byStore = new Map(tasks.filter((t) => t.startedAt).map((t) => [stores.featureSql(t.feature), t.feature]));
  const failed: string[] = [];
  for (const [sql, feature] of byStore) {
    try {
      await within(forgetPseudonyms(sql, requestId), stores.storeTimeoutMs);
      await within(forgetErasures(sql, requestId), stores.storeTimeoutMs);
      await within(forgetCorrections(sql, requestId), stores.storeTimeoutMs);
    } catch (err) {
      stores.log.warn({ requestId, feature, ...loggableError(err) }, "a feature's store did not forget the request's pseudonyms or erasure and correction records");
      failed.push(feature);
    }
  }
  return failed;
}
