import type { Actor } from '../auth/principal.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { RETRYABLE_STATUSES } from './lifecycle.js';
import type { RequestRepository, RequestValues } from './repository.js';
import type { RequestService } from './request-service.js';
import { BULK_RETRY_LIMIT, type BulkRetryBody, type BulkRetryResult, type RequestView } from './schemas.js';

/**
 * What a retried request starts again from: no completion, no error, and no release (a result built
 * anew is previewed and released again where the tenant reviews results). The deadline stays.
 */
const RETRIED: RequestValues = { completedAt: null, error: null, releasedAt: null, withheld: null };

const notRetryable = (detail: string) => new AppError(409, 'not-retryable', 'Not retryable', detail);

/**
 * Retry from where it failed: an agent runs a failed or partly completed request's failed tasks again
 * (not those completed, whose partials were kept, nor features without an adapter or answered by
 * hand), and the worker builds the result again from the kept and the new partials.
 */
export class RetryService {
  constructor(
    private readonly repo: RequestRepository,
    private readonly requests: Pick<RequestService, 'enqueue' | 'get'>,
  ) {}

  async retry(tenantId: string, id: string, actor: Actor): Promise<RequestView> {
    const row = await this.repo.find(tenantId, id);
    if (!row) throw notFound('Request');
    if (!(RETRYABLE_STATUSES as readonly string[]).includes(row.status)) {
      throw notRetryable(`The request is ${row.status}: only a failed or partially_completed request can be retried`);
    }
    const retried = await this.repo.retry(id, RETRIED, actor);
    if (retried === 'open-request') {
      throw notRetryable(`The subject has another open ${row.type} request; it answers for this one`);
    }
    if (!retried) {
      const now = await this.repo.find(tenantId, id);
      throw notRetryable(
        now?.status === row.status
          ? `The request is ${row.status} with no failed task: there is nothing to run again`
          : `The request is ${now?.status ?? 'gone'}: it changed meanwhile`,
      );
    }
    await this.requests.enqueue(retried.request, retried.features);
    return this.requests.get(tenantId, id);
  }

  /** Retries the tenant's requests that match, oldest first, up to BULK_RETRY_LIMIT; those that cannot be any more are skipped. */
  async retryAll(tenantId: string, body: BulkRetryBody, actor: Actor): Promise<BulkRetryResult> {
    const filter = {
      statuses: body.status ?? RETRYABLE_STATUSES,
      feature: body.feature,
      createdAfter: timeOf(body.createdAfter, 'createdAfter'),
      createdBefore: timeOf(body.createdBefore, 'createdBefore'),
    };
    const candidates = await this.repo.retryable(tenantId, filter, BULK_RETRY_LIMIT + 1);
    const ids: string[] = [];
    for (const id of candidates.slice(0, BULK_RETRY_LIMIT)) {
      const retried = await this.repo.retry(id, RETRIED, actor);
      if (retried === 'open-request' || !retried) continue;
      await this.requests.enqueue(retried.request, retried.features);
      ids.push(id);
    }
    return { retried: ids.length, ids, truncated: candidates.length > BULK_RETRY_LIMIT };
  }
}

/** A time of the body as Postgres takes it: a JSON Schema date-time may also be a leap second or in year 0, which it does not. */
function timeOf(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1) {
    throw badRequest(`Invalid body: /${field}`, [{ field: `/${field}`, message: 'is not a time from the year 1 on' }]);
  }
  return date;
}
