import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Catalogue } from '../catalogue/schema.js';
import type { DatasetDescription, FeatureAdapter } from '../features/adapter.js';
import type { RequestRepository } from '../requests/repository.js';
import { finalStatus, isTerminal } from '../requests/lifecycle.js';
import { assembleResult } from '../results/assemble.js';
import { errorKind } from './feature-task.js';

/**
 * The parent job of a request's flow: every feature task has ended (completed, failed after
 * its retries, or not automated), so build the result and close the request.
 */
export interface AssemblyDeps {
  repo: RequestRepository;
  adapters: ReadonlyMap<string, FeatureAdapter>;
  catalogue: Catalogue;
  featureBlobs: BlobStore;
  results: BlobStore;
  log: Logger;
}

export async function runAssembly(deps: AssemblyDeps, requestId: string, lastAttempt: boolean): Promise<void> {
  const request = await deps.repo.findById(requestId);
  if (!request) return;
  if (isTerminal(request.status)) {
    await deps.results.deletePrefix(`work/${requestId}`);
    return;
  }
  const tasks = await deps.repo.tasksOf(requestId);
  // A task whose job vanished (e.g. removed from Redis) must not be reported as done.
  for (const task of tasks.filter((t) => t.status === 'pending' || t.status === 'running')) {
    await deps.repo.updateTask(requestId, task.feature, { status: 'failed', error: 'the task did not finish', finishedAt: new Date() });
    task.status = 'failed';
  }
  try {
    const datasets = new Map<string, DatasetDescription[]>(
      deps.catalogue.features.map((f) => [f.id, deps.adapters.get(f.id)?.datasets ?? []]),
    );
    const now = new Date();
    const status = finalStatus(tasks);
    const result = await assembleResult({
      request: { ...request, status, completedAt: now },
      tasks,
      catalogue: deps.catalogue,
      datasets,
      results: deps.results,
      featureBlobs: deps.featureBlobs,
      now,
    });
    const moved = await deps.repo.transition(requestId, ['received', 'queued', 'processing'], status, {
      completedAt: now,
      resultKey: result.key,
      resultMediaType: result.mediaType,
      resultSize: result.size,
      resultSha256: result.sha256,
    });
    // Cancelled while assembling: the result is not delivered.
    if (!moved) await deps.results.delete(result.key);
    await deps.results.deletePrefix(`work/${requestId}`);
  } catch (err) {
    deps.log.error({ requestId, error: errorKind(err) }, 'assembly failed');
    if (lastAttempt) {
      await deps.repo.transition(requestId, ['received', 'queued', 'processing'], 'failed', {
        completedAt: new Date(),
        error: 'the result could not be assembled',
      });
    }
    throw err;
  }
}
