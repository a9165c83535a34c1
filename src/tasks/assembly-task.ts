import type { Logger } from 'pino';
import type { KeyObject } from 'node:crypto';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Catalogue } from '../catalogue/schema.js';
import type { DatasetDescription } from '../features/adapter.js';
import type { RequestRow, TaskRow } from '../requests/tables.js';
import type { Sql } from '../db/client.js';
import type { RequestRepository } from '../requests/repository.js';
import { closingTransition, isTerminal, REQUEST_TRANSITIONS } from '../requests/lifecycle.js';
import { assembleResult } from '../results/assemble.js';
import { errorKind } from './feature-task.js';
import { deleteResult } from '../requests/result-files.js';
import { deleteWorkFiles, keepsWorkFiles } from '../requests/work-files.js';
import { SYSTEM_ACTOR } from '../auth/principal.js';
import type { ResolvedAdapter } from '../features/adapter-resolver.js';
import { buildSections } from '../results/report-model.js';
import { compareRescan, rescanConfirms, type Rescan } from '../results/receipt/rescan.js';
import { rescanAfterErasure } from './erasure-rescan.js';
import { readDatasets } from './task-json.js';
import type { NoticeService } from '../notice/notice-service.js';

/** How a deletion ends when it erased the subject's data, all of it or in part. */
const ERASING_STATUSES: readonly RequestRow['status'][] = ['completed', 'partially_completed'];

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
  featureSql(feature: string): Sql;
  /** The adapters that erased, to scan their stores again once all of them ran. */
  resolveAdapter(tenantId: string, feature: string): Promise<ResolvedAdapter>;
  receiptSigningKey?: KeyObject;
  /** The tenant's notice in the version each request recorded. */
  notices: Pick<NoticeService, 'version'>;
  /** taskTimeoutMs: how long a feature's store may take to forget a request's pseudonyms. */
  config: { resultPartBytes: number; taskTimeoutMs: number };
}

export async function runAssembly(deps: AssemblyDeps, requestId: string, lastAttempt: boolean): Promise<void> {
  const request = await deps.repo.findById(requestId);
  // Already assembled and waiting for an agent to release it (a repeated job): nothing to do.
  if (!request || request.status === 'awaiting_release') return;
  if (isTerminal(request.status)) {
    if (!keepsWorkFiles(request.status)) await cleanUp(deps, requestId, await deps.repo.tasksOf(requestId), lastAttempt);
    // A retried request cancelled before it was built again: the earlier result goes with it.
    if (request.status === 'cancelled' && request.resultKey) await deleteResult(deps.repo, deps.results, requestId);
    // A repeated job finishes an erasure a crash interrupted.
    if (request.type === 'deletion' && ERASING_STATUSES.includes(request.status) && request.completedAt) {
      await eraseEarlierResults(deps, request, request.completedAt, lastAttempt);
    }
    return;
  }
  let tasks = await deps.repo.tasksOf(requestId);
  if (tasks.some((t) => t.status === 'action_required')) {
    // Manual tasks outstanding: the request waits; completing the last one assembles it again.
    await deps.repo.moveRequest(requestId, 'awaitAction');
    tasks = await deps.repo.tasksOf(requestId);
    // The last one may have been completed while we moved the request: then nobody else resumes it.
    if (tasks.some((t) => t.status === 'action_required')) return;
    await deps.repo.moveRequest(requestId, 'resume');
  }
  // A task whose job vanished (e.g. removed from Redis) must not be reported as done.
  if ((await deps.repo.moveTasks(requestId, 'abandon', { error: 'the task did not finish' })).length > 0) {
    tasks = await deps.repo.tasksOf(requestId);
  }
  try {
    const now = new Date();
    // Each task recorded the datasets its adapter described when it ran.
    const datasets = new Map<string, DatasetDescription[]>(tasks.map((t) => [t.feature, readDatasets(t.datasets)]));
    const rescan = request.type === 'deletion' ? await rescanErasure(deps, request, tasks, datasets, lastAttempt) : undefined;
    const closing = closingOf(tasks, rescan);
    const status = REQUEST_TRANSITIONS[closing].to;
    // Before the deletion shows as completed, so that by then the subject's earlier results answer 410.
    if (request.type === 'deletion' && closing !== 'fail') await eraseEarlierResults(deps, request, now, lastAttempt);
    if (request.releasedAt && !request.withheld?.length && request.resultKey) {
      // Released as the agent previewed it: that result is the subject's.
      await deps.repo.moveRequest(requestId, closing, { completedAt: now });
      if (!keepsWorkFiles(status)) await cleanUp(deps, requestId, tasks, lastAttempt);
      return;
    }
    // The tenant reviews results before release: the partials stay until it is released as it is or without withheld items.
    const awaitsRelease = request.releaseReview && !request.releasedAt && closing !== 'fail';
    const previous = request.resultKey ? await resultKeys(deps, request) : [];
    const notice = await deps.notices.version(request.tenantId, request.noticeVersion);
    const result = await assembleResult({
      request: { ...request, status },
      tasks,
      catalogue: deps.catalogue,
      ...(request.type === 'correction' ? { changes: await deps.repo.changesOf(requestId) } : {}),
      notice: notice?.notice,
      datasets,
      results: deps.results,
      featureBlobs: deps.featureBlobs,
      signingKey: deps.receiptSigningKey,
      ...(rescan ? { rescan } : {}),
      partBytes: deps.config.resultPartBytes,
    });
    // A deletion's closing event names the recipients to tell of it, so the admin console can (its webhook carries them).
    const detail = result.recipients && closing !== 'fail' ? { recipients: result.recipients } : undefined;
    const closed = await deps.repo.closeWithResult(requestId, awaitsRelease ? 'awaitRelease' : closing, result, now, detail);
    if (!closed) {
      // Cancelled (or assembled by a concurrent job) meanwhile: drop this copy unless it is the one on record;
      // a retried request cancelled meanwhile keeps no result at all (this one was written over the earlier one).
      const current = await deps.repo.findById(requestId);
      if (current?.status === 'cancelled' && current.resultKey) await deleteResult(deps.repo, deps.results, requestId);
      else if (current?.resultKey !== result.key) for (const part of result.parts) await deps.results.delete(part.key);
    }
    // Parts of the previous result (previewed, or before a retry) that the one built again no longer has.
    const kept = new Set(result.parts.map((p) => p.key));
    for (const key of previous.filter((k) => !kept.has(k))) await deps.results.delete(key);
    // Kept for a retry when tasks failed (then deleted with the result, or once a retry completes).
    if (!awaitsRelease && !keepsWorkFiles(status)) await cleanUp(deps, requestId, tasks, lastAttempt);
  } catch (err) {
    deps.log.error({ requestId, error: errorKind(err) }, 'assembly failed');
    if (lastAttempt) {
      await deps.repo.moveRequest(requestId, 'fail', { error: 'the result could not be assembled' });
    }
    throw err;
  }
}

/** After every eraser ran: each store scanned again for the subject, set against what the receipt will say. */
async function rescanErasure(
  deps: AssemblyDeps,
  request: RequestRow,
  tasks: TaskRow[],
  datasets: Map<string, DatasetDescription[]>,
  lastAttempt: boolean,
): Promise<Rescan> {
  const scans = await rescanAfterErasure(deps, request, tasks, lastAttempt);
  return compareRescan(buildSections({ request, catalogue: deps.catalogue, tasks, datasets }), scans);
}

/** A deletion whose re-scan found more than its receipt says remains does not claim full completion. */
function closingOf(tasks: TaskRow[], rescan: Rescan | undefined): ReturnType<typeof closingTransition> {
  const closing = closingTransition(tasks);
  return closing === 'complete' && rescan && !rescanConfirms(rescan) ? 'completePartially' : closing;
}

/**
 * A deletion that completed (fully or partly) erased the subject's data, so their earlier access,
 * export and correction results go too (and the values their corrections asked for), given or awaiting release: moved to `erased` first (from then on they answer
 * 410, through links too), then their bytes and work files deleted. The deletion's own receipt stays.
 */
async function eraseEarlierResults(deps: AssemblyDeps, deletion: RequestRow, closedAt: Date, lastAttempt: boolean): Promise<void> {
  const earlier = await deps.repo.resultsOfSubject(deletion.tenantId, deletion.subjectAccountId, closedAt);
  const erased: string[] = [];
  for (const row of earlier) {
    const moved = await deps.repo.moveRequest(row.id, 'erase', {}, SYSTEM_ACTOR, { deletionRequestId: deletion.id });
    // Not moved and not erased before: it changed meanwhile (e.g. released), and is left as it now is.
    if (!moved && row.status !== 'erased') continue;
    await deleteResult(deps.repo, deps.results, row.id);
    await cleanUp(deps, row.id, await deps.repo.tasksOf(row.id), lastAttempt);
    erased.push(row.id);
  }
  if (erased.length > 0) await deps.repo.event(deletion.id, 'earlier_results_erased', undefined, { requestIds: erased });
  // What the subject's corrections asked and what the stores held before: personal data, erased too.
  const values = await deps.repo.eraseChangeValues(deletion.tenantId, deletion.subjectAccountId, closedAt);
  if (values > 0) await deps.repo.event(deletion.id, 'correction_values_erased', undefined, { changes: values });
}

/** Every file of the result on record (one, or the parts of a split archive). */
async function resultKeys(deps: AssemblyDeps, request: RequestRow): Promise<string[]> {
  const parts = await deps.repo.parts(request.id);
  return parts.length > 0 ? parts.map((p) => p.key) : request.resultKey ? [request.resultKey] : [];
}

/**
 * The request's work files (work-files.ts). A feature's store that could not forget the request's
 * pseudonyms fails the job after the rest is cleaned, so that BullMQ retries it (the job of an ended
 * request only cleans up); after the last attempt the failure is logged for the operator.
 */
async function cleanUp(deps: AssemblyDeps, requestId: string, tasks: TaskRow[], lastAttempt: boolean): Promise<void> {
  const failed = await deleteWorkFiles({ ...deps, storeTimeoutMs: deps.config.taskTimeoutMs }, requestId, tasks);
  if (failed.length === 0) return;
  if (!lastAttempt) throw new Error(`pseudonyms or erasure records not forgotten in ${failed.join(', ')}`);
  deps.log.error({ requestId, features: failed }, 'pseudonyms or erasure records left in feature stores after the last attempt');
}
