import type { Logger } from 'pino';
import type { KeyObject } from 'node:crypto';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Catalogue } from '../catalogue/schema.js';
import type { DatasetDescription } from '../features/adapter.js';
import type { TaskRow } from '../requests/tables.js';
import type { Sql } from '../db/client.js';
import { forgetPseudonyms } from '../features/shared-data.js';
import type { RequestRepository } from '../requests/repository.js';
import { finalStatus, isTerminal, OPEN_STATUSES } from '../requests/lifecycle.js';
import { assembleResult } from '../results/assemble.js';
import type { DeliveryService } from '../delivery/delivery-service.js';
import { errorKind } from './feature-task.js';
import { connectorFilesPrefix, workPrefix } from '../blobs/keys.js';

/**
 * The parent job of a request's flow: every feature task has ended (completed, failed after
 * its retries, or not automated), so build the result and close the request.
 */
export interface AssemblyDeps {
  repo: RequestRepository;
  catalogue: Catalogue;
  featureBlobs: BlobStore;
  results: BlobStore;
  log: Logger;
  delivery: Pick<DeliveryService, 'recordParts'>;
  featureSql(feature: string): Sql;
  receiptSigningKey?: KeyObject;
  config: { resultPartBytes: number };
}

export async function runAssembly(deps: AssemblyDeps, requestId: string, lastAttempt: boolean): Promise<void> {
  const request = await deps.repo.findById(requestId);
  if (!request) return;
  if (isTerminal(request.status)) {
    await deleteWorkFiles(deps, requestId, await deps.repo.tasksOf(requestId));
    return;
  }
  let tasks = await deps.repo.tasksOf(requestId);
  if (tasks.some((t) => t.status === 'action_required')) {
    // Manual tasks outstanding: the request waits; completing the last one assembles it again.
    await deps.repo.transition(requestId, ['received', 'queued', 'processing'], 'action_required');
    tasks = await deps.repo.tasksOf(requestId);
    // The last one may have been completed while we moved the request: then nobody else resumes it.
    if (tasks.some((t) => t.status === 'action_required')) return;
    await deps.repo.transition(requestId, ['action_required'], 'processing');
  }
  // A task whose job vanished (e.g. removed from Redis) must not be reported as done.
  for (const task of tasks.filter((t) => t.status === 'pending' || t.status === 'running')) {
    await deps.repo.updateTask(requestId, task.feature, { status: 'failed', error: 'the task did not finish', finishedAt: new Date() });
    task.status = 'failed';
  }
  try {
    // Each task recorded the datasets its adapter described when it ran.
    const datasets = new Map<string, DatasetDescription[]>(tasks.map((t) => [t.feature, t.datasets ?? []]));
    const now = new Date();
    const status = finalStatus(tasks);
    const result = await assembleResult({
      request: { ...request, status, completedAt: now },
      tasks,
      catalogue: deps.catalogue,
      datasets,
      results: deps.results,
      featureBlobs: deps.featureBlobs,
      signingKey: deps.receiptSigningKey,
      partBytes: deps.config.resultPartBytes,
      now,
    });
    const moved = await deps.repo.transition(requestId, OPEN_STATUSES, status, {
      completedAt: now,
      resultKey: result.key,
      resultMediaType: result.mediaType,
      resultSize: result.size,
      resultSha256: result.sha256,
    });
    if (moved) await deps.delivery.recordParts(requestId, result.mediaType, result.parts);
    // Cancelled (or assembled by a concurrent job) meanwhile: drop this copy unless it is the one on record.
    if (!moved && (await deps.repo.findById(requestId))?.resultKey !== result.key) {
      for (const part of result.parts) await deps.results.delete(part.key);
    }
    await deleteWorkFiles(deps, requestId, tasks);
  } catch (err) {
    deps.log.error({ requestId, error: errorKind(err) }, 'assembly failed');
    if (lastAttempt) {
      await deps.repo.transition(requestId, OPEN_STATUSES, 'failed', {
        completedAt: new Date(),
        error: 'the result could not be assembled',
      });
    }
    throw err;
  }
}

/** Partials, and the copies of files a feature service sent through the connector: personal data, kept no longer than needed. */
async function deleteWorkFiles(deps: AssemblyDeps, requestId: string, tasks: TaskRow[]): Promise<void> {
  await deps.results.deletePrefix(workPrefix(requestId));
  for (const sql of new Set(tasks.map((t) => deps.featureSql(t.feature)))) await forgetPseudonyms(sql, requestId);
  for (const task of tasks.filter((t) => t.adapter === 'http')) {
    await deps.featureBlobs.deletePrefix(connectorFilesPrefix(task.feature, requestId));
  }
}
