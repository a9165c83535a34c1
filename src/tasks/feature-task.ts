import type { Logger } from 'pino';
import type { BlobStore } from '../blobs/blob-store.js';
import { collectForPartial, type AdapterContext, type DatasetDescription, type FeatureAdapter, type Subject } from '../features/adapter.js';
import type { Sql } from '../db/client.js';
import type { RequestRow } from '../requests/tables.js';
import type { RequestRepository } from '../requests/repository.js';
import type { RequestSettings } from './request-settings.js';
import { isTerminal, takes } from '../requests/lifecycle.js';
import { storePartial } from './partial.js';
import { TimeoutError, unavailable, within } from '../dependencies.js';
import { recordedErasure } from '../features/erasures/records.js';

/**
 * One feature of one request: collect the subject's data into a partial (access, export)
 * or erase it (deletion), and record the outcome on the task. Runs inside a BullMQ job,
 * which retries it; `lastAttempt` says whether a failure now is final.
 */
export interface FeatureTaskDeps {
  repo: RequestRepository;
  /**
   * The tenant's policy on other people's data in shared spaces (which adapters apply) and its
   * adapters, read once per request; the request's row and its move to processing, shared while on their way.
   */
  taskSettings: Pick<RequestSettings, 'of' | 'reads' | 'starts'>;
  featureSql(feature: string): Sql;
  featureBlobs: BlobStore;
  results: BlobStore;
  log: Logger;
  /** taskTimeoutMs: how long an adapter may take before the attempt fails as `timeout`; eraseBatchRows: the adapters'. */
  config: { taskTimeoutMs: number; eraseBatchRows: number };
}

export async function runFeatureTask(
  deps: FeatureTaskDeps,
  requestId: string,
  feature: string,
  attempt: { number: number; last: boolean },
): Promise<void> {
  const request = await deps.taskSettings.reads.of(requestId, () => deps.repo.findById(requestId));
  if (!request || isTerminal(request.status)) return; // cancelled (or gone): nothing to do
  // Read by the request's first task while the request moves (round trips in parallel rather than one
  // after another); a failure to read the policy fails the attempt, below.
  const settings = deps.taskSettings.of(requestId, request.tenantId);
  // The first task to start moves the request; the others would find it moved (a round trip each for nothing).
  const [resolved] = await Promise.all([
    settings.adapter(feature),
    takes(request.status, 'start') ? deps.taskSettings.starts.of(requestId, () => deps.repo.moveRequest(requestId, 'start')) : undefined,
  ]);
  if (request.type === 'correction' && !(resolved.kind !== 'none' && resolved.kind !== 'manual' && resolved.adapter.correct)) {
    // No adapter corrects this feature: its owner makes the changes and answers the task over the API.
    await deps.repo.moveTask(requestId, feature, 'awaitAgent', { adapter: 'manual' });
    return;
  }
  if (resolved.kind === 'none') {
    await deps.repo.moveTask(requestId, feature, 'notAutomate');
    return;
  }
  if (resolved.kind === 'manual') {
    // A person answers this one over the API; the request waits in action_required until they do.
    await deps.repo.moveTask(requestId, feature, 'awaitAgent', { adapter: 'manual' });
    return;
  }
  const { adapter } = resolved;
  const attemptValues = { adapter: resolved.kind, attempts: attempt.number };
  if (!(await deps.repo.moveTask(requestId, feature, 'start', attemptValues, { attempt: attempt.number }))) return; // cancelled meanwhile, or ended
  const attemptEnded = new AbortController();
  try {
    const policy = await settings.policy;
    const ctx: AdapterContext = {
      sql: deps.featureSql(feature),
      blobs: deps.featureBlobs,
      log: deps.log,
      requestId,
      policy,
      eraseBatchRows: deps.config.eraseBatchRows,
      signal: attemptEnded.signal,
    };
    const work = async () => {
      const datasets = adapter.describe ? await adapter.describe(ctx) : adapter.datasets;
      const values =
        request.type === 'deletion'
          ? await erase(adapter, request, ctx)
          : request.type === 'correction'
            ? await correct(deps.repo, adapter, request, ctx)
            : await collect(deps, adapter, request, ctx, datasets);
      return { datasets, values };
    };
    // A feature store that hangs fails the attempt, as one that refuses: the retries and the task's end follow.
    const { datasets, values } = await within(work(), deps.config.taskTimeoutMs);
    await deps.repo.moveTask(requestId, feature, 'complete', { ...values, datasets, error: null }, { counts: values.counts });
  } catch (err) {
    // A timed-out adapter is still at work: it stops at its next batch.
    attemptEnded.abort(err);
    const reason = describe(err, deps.config.taskTimeoutMs);
    // Log the error's kind only: a driver message can quote row values, which are personal data.
    deps.log.warn({ requestId, feature, attempt: attempt.number, error: errorKind(err) }, 'feature task failed');
    await deps.repo.event(requestId, 'task_attempt_failed', feature, { attempt: attempt.number, reason });
    if (attempt.last) {
      await deps.repo.moveTask(requestId, feature, 'fail', { error: reason });
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
  return storePartial(deps.results, request.id, adapter.feature, collectForPartial(adapter, subjectOf(request), ctx), datasets);
}

async function erase(adapter: FeatureAdapter, request: RequestRow, ctx: AdapterContext) {
  const outcome = await adapter.erase(subjectOf(request), ctx);
  const counts = Object.fromEntries(outcome.map((o) => [o.dataset, o.deleted + o.anonymized]));
  // The task ends when the data went, as the feature's store recorded it with the erasure: a run after
  // a crash then reports the time the first run erased, and the receipt stays the same.
  const record = await recordedErasure(ctx.sql, request.id, adapter.feature);
  return { counts, outcome, ...(record ? { finishedAt: record.erasedAt } : {}) };
}

/**
 * Makes the changes asked of this feature that are still pending (a job run again skips those it
 * recorded), and records what became of each on the request. The values come from the request
 * record; the trail gets the items and outcomes only.
 */
async function correct(repo: RequestRepository, adapter: FeatureAdapter, request: RequestRow, ctx: AdapterContext) {
  const pending = (await repo.changesOf(request.id, adapter.feature)).filter((c) => c.outcome === 'pending' && c.newValue !== null);
  const changes = pending.map((c) => ({ id: c.id, item: c.item, value: c.newValue ?? '' }));
  const results = changes.length > 0 && adapter.correct ? await adapter.correct(subjectOf(request), changes, ctx) : [];
  for (const result of results) {
    const decision = result.outcome === 'corrected' ? { outcome: result.outcome, oldValue: result.oldValue } : result;
    await repo.decideChange(result.id, decision);
  }
  const items = new Map(pending.map((c) => [c.id, c.item]));
  const decided = results.map((r) => ({ item: items.get(r.id), outcome: r.outcome }));
  if (decided.length > 0) await repo.event(request.id, 'changes_decided', adapter.feature, { changes: decided });
  const all = await repo.changesOf(request.id, adapter.feature);
  const counts = { corrected: all.filter((c) => c.outcome === 'corrected').length, refused: all.filter((c) => c.outcome === 'refused').length };
  return { counts };
}

/**
 * A failure reason safe to store and show: `timeout` or `unreachable` for a feature's store that did
 * not answer (its message would name hosts and ports), else the error's message, never row contents.
 */
function describe(err: unknown, timeoutMs: number): string {
  if (err instanceof TimeoutError) return `timeout: the feature did not answer within ${timeoutMs} ms`;
  if (unavailable(err)) return "unreachable: the feature's data store could not be reached";
  const message = err instanceof Error ? err.message : String(err);
  return message.slice(0, 500);
}

export function errorKind(err: unknown): string {
  if (!(err instanceof Error)) return typeof err;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `${err.name}:${code}` : err.name;
}
