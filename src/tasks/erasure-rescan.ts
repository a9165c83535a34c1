import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Sql } from '../db/client.js';
import type { ResolvedAdapter } from '../features/adapter-resolver.js';
import type { FeatureAdapter, Subject } from '../features/adapter.js';
import type { RequestRow, TaskRow } from '../requests/tables.js';
import type { StoreScan } from '../results/receipt/rescan.js';
import { readErasure } from './task-json.js';
import { TimeoutError, unavailable, within } from '../dependencies.js';
import { errorKind } from './feature-task.js';

/**
 * After every eraser of a deletion ran: each feature an adapter erased is scanned again with that
 * adapter's collect, over the same subject binding an access request uses, and what it still finds
 * is counted per dataset (counts only: no row is kept). results/receipt/rescan.ts sets the counts
 * against the receipt.
 */

export interface RescanDeps {
  resolveAdapter(tenantId: string, feature: string): Promise<ResolvedAdapter>;
  featureSql(feature: string): Sql;
  featureBlobs: BlobStore;
  log: Logger;
  config: { taskTimeoutMs: number };
}

/**
 * `lastAttempt`: a store that does not answer (Postgres restarting, say) may answer when the assembly is
 * tried again, so before its last attempt the outage fails the attempt (the worker waits it out) rather
 * than go into the receipt as a scan that failed.
 */
export async function rescanAfterErasure(deps: RescanDeps, request: RequestRow, tasks: TaskRow[], lastAttempt: boolean): Promise<Map<string, StoreScan>> {
  const subject: Subject = { tenantId: request.tenantId, accountId: request.subjectAccountId };
  const scans = new Map<string, StoreScan>();
  for (const task of tasks) {
    // Only what an adapter erased: a failed, cancelled or manual task claims no erasure to check.
    if (task.status !== 'completed' || !readErasure(task.outcome)) continue;
    const resolved = await deps.resolveAdapter(request.tenantId, task.feature);
    if (resolved.kind !== 'built_in' && resolved.kind !== 'http') continue;
    const ctx = { sql: deps.featureSql(task.feature), blobs: deps.featureBlobs, log: deps.log, requestId: request.id };
    try {
      scans.set(task.feature, { status: 'scanned', remaining: await within(remaining(resolved.adapter, subject, ctx), deps.config.taskTimeoutMs) });
    } catch (err) {
      if (unavailable(err) === 'database' && !lastAttempt) throw err;
      deps.log.warn({ requestId: request.id, feature: task.feature, error: errorKind(err) }, 'the re-scan after the erasure failed');
      scans.set(task.feature, { status: 'failed', error: failure(err) });
    }
  }
  return scans;
}

async function remaining(adapter: FeatureAdapter, subject: Subject, ctx: Parameters<FeatureAdapter['collect']>[1]) {
  const rows: Record<string, number> = {};
  for await (const record of adapter.collect(subject, ctx)) rows[record.dataset] = (rows[record.dataset] ?? 0) + 1;
  return rows;
}

/** Words for the receipt: never a driver's message, which can quote row values. */
function failure(err: unknown): string {
  if (err instanceof TimeoutError) return 'the store did not answer in time';
  if (unavailable(err)) return 'the store could not be reached';
  return 'the store answered with an error';
}
