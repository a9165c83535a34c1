import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
import { collectForPartial, type AdapterContext, type DatasetDescription, type FeatureAdapter, type Subject } from '../features/adapter.js';
import type { ResolvedAdapter } from '../features/adapter-resolver.js';
import type { Sql } from '../db/client.js';
import type { RequestRow } from '../db/schema.js';
import type { RequestRepository } from '../requests/repository.js';
import type { FeatureSettingsService } from '../tenants/feature-settings.js';
import { isTerminal } from '../requests/lifecycle.js';
import { writePartial } from '../results/partials/partials.js';

/**
 * One feature of one request: collect the subject's data into a partial (access, export)
 * or erase it (deletion), and record the outcome on the task. Runs inside a BullMQ job,
 * which retries it; `lastAttempt` says whether a failure now is final.
 */
export interface FeatureTaskDeps {
  repo: RequestRepository;
  resolveAdapter(tenantId: string, feature: string): Promise<ResolvedAdapter>;
  featureSql(feature: string): Sql;
  featureBlobs: BlobStore;
  results: BlobStore;
  log: Logger;
  /** The tenant's policy on other people's data in shared spaces, which adapters apply. */
  featureSettings: Pick<FeatureSettingsService, 'policy'>;
}

export function partialKey(requestId: string, feature: string): string {
  return `work/${requestId}/${feature}.ndjson`;
}

export async function runFeatureTask(
  deps: FeatureTaskDeps,
  requestId: string,
  feature: string,
  attempt: { number: number; last: boolean },
): Promise<void> {
  const request = await deps.repo.findById(requestId);
  if (!request || isTerminal(request.status)) return; // cancelled (or gone): nothing to do
  await deps.repo.transition(requestId, ['received', 'queued'], 'processing');

  const resolved = await deps.resolveAdapter(request.tenantId, feature);
  if (resolved.kind === 'none') {
    await deps.repo.updateTask(requestId, feature, { status: 'not_automated', finishedAt: new Date() });
    await deps.repo.event(requestId, 'task_not_automated', feature);
    return;
  }
  if (resolved.kind === 'manual') {
    // A person answers this one over the API; the request waits in action_required until they do.
    await deps.repo.updateTask(requestId, feature, { status: 'action_required', adapter: 'manual', startedAt: new Date() });
    await deps.repo.event(requestId, 'task_action_required', feature);
    return;
  }
  const { adapter } = resolved;
  await deps.repo.updateTask(requestId, feature, {
    status: 'running',
    adapter: resolved.kind,
    startedAt: new Date(),
    attempts: attempt.number,
  });
  await deps.repo.event(requestId, 'task_started', feature, { attempt: attempt.number });
  try {
    const policy = await deps.featureSettings.policy(request.tenantId);
    const ctx: AdapterContext = { sql: deps.featureSql(feature), blobs: deps.featureBlobs, log: deps.log, requestId, policy };
    const datasets = adapter.describe ? await adapter.describe(ctx) : adapter.datasets;
    const values =
      request.type === 'deletion' ? await erase(adapter, request, ctx) : await collect(deps, adapter, request, ctx, datasets);
    await deps.repo.updateTask(requestId, feature, {
      ...values,
      datasets,
      status: 'completed',
      error: null,
      finishedAt: new Date(),
    });
    await deps.repo.event(requestId, 'task_completed', feature, { counts: values.counts });
  } catch (err) {
    const reason = describe(err);
    // Log the error's kind only: a driver message can quote row values, which are personal data.
    deps.log.warn({ requestId, feature, attempt: attempt.number, error: errorKind(err) }, 'feature task failed');
    await deps.repo.event(requestId, 'task_attempt_failed', feature, { attempt: attempt.number, reason });
    if (attempt.last) {
      await deps.repo.updateTask(requestId, feature, { status: 'failed', error: reason, finishedAt: new Date() });
    }
    throw err;
  }
}

function subjectOf(request: RequestRow): Subject {
  return { tenantId: request.tenantId, accountId: request.subjectAccountId };
}

async function collect(
  deps: FeatureTaskDeps,
  adapter: FeatureAdapter,
  request: RequestRow,
  ctx: AdapterContext,
  datasets: DatasetDescription[],
) {
  const key = partialKey(request.id, adapter.feature);
  const counts = await writePartial(deps.results, key, collectForPartial(adapter, subjectOf(request), ctx), datasets);
  return { counts, partialKey: key };
}

async function erase(adapter: FeatureAdapter, request: RequestRow, ctx: AdapterContext) {
  const outcome = await adapter.erase(subjectOf(request), ctx);
  const counts = Object.fromEntries(outcome.map((o) => [o.dataset, o.deleted + o.anonymized]));
  return { counts, outcome };
}

/** A failure reason safe to store and show: the error's message, never row contents. */
function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.slice(0, 500);
}

export function errorKind(err: unknown): string {
  if (!(err instanceof Error)) return typeof err;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `${err.name}:${code}` : err.name;
}
