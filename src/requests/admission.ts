import type { Logger } from 'pino';
import { loggableError } from '../errors.js';
import type { RequestRepository } from './repository.js';
import type { RequestRow } from './tables.js';

/**
 * Fairness between tenants (TENANT_MAX_ACTIVE_REQUESTS): a tenant has at most that many requests in
 * flight (queued or processing); the rest wait `received` in Postgres, and are admitted oldest first
 * as the tenant's requests leave the queue: after each assembly, and on every pass of the reconciler.
 * A tenant's flood therefore puts at most its limit of requests ahead of another tenant's in Redis.
 * Each admitted request's jobs get a BullMQ priority from its tenant's backlog (its requests waiting and
 * in flight), so a tenant with few requests overtakes the queued jobs of one with many: a single request
 * waits only for the jobs already running. Postgres holds who waits, so Redis may be flushed.
 *
 * Open-source BullMQ has no groups (they are BullMQ Pro); a limit per tenant counted in Postgres under
 * an advisory lock holds across any number of API and worker processes.
 */

/** BullMQ's lowest priority (2^21); lower numbers run first. */
const PRIORITY_LIMIT = 2 ** 21;

export type Enqueue = (row: RequestRow, features: readonly string[], order: { priority: number; backlogged: boolean }, repo: RequestRepository) => Promise<boolean>;

export class Admission {
  constructor(
    private readonly repo: Pick<RequestRepository, 'admitting' | 'tenantsWaiting' | 'findById'>,
    private readonly limit: number,
    private readonly enqueue: Enqueue,
    private readonly log: Logger,
  ) {}

  /** Whether requests wait for admission at all (TENANT_MAX_ACTIVE_REQUESTS is set). */
  get limited(): boolean {
    return this.limit > 0;
  }

  /** Admits the tenant's oldest waiting requests while it has fewer than its limit in flight; returns how many. */
  async admit(tenantId: string): Promise<number> {
    return this.repo.admitting(tenantId, this.limit, async ({ waiting, backlog, repo }) => {
      let admitted = 0;
      // More than its limit: requests wait behind these, so their tasks go to the backlog lane (flow.ts).
      const order = { priority: Math.min(backlog, PRIORITY_LIMIT), backlogged: backlog > this.limit };
      for (const row of waiting) if (await this.enqueue(row, row.features, order, repo)) admitted++;
      return admitted;
    });
  }

  /** Admits what waits, tenant by tenant (the reconciler's pass). */
  async admitAll(): Promise<number> {
    let admitted = 0;
    for (const tenantId of await this.repo.tenantsWaiting()) admitted += await this.admit(tenantId);
    return admitted;
  }

  /** A request left the queue (assembled, waiting for an agent or ended): its tenant's next may go. Never throws. */
  async after(requestId: string): Promise<void> {
    if (!this.limited) return;
    try {
      const row = await this.repo.findById(requestId);
      if (row) await this.admit(row.tenantId);
    } catch (err) {
      this.log.warn({ requestId, ...loggableError(err) }, 'admitting the next request failed; the reconciler admits it');
    }
  }
}
