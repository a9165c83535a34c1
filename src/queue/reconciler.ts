import type { Logger } from 'pino';
import { awaitsJob } from '../requests/lifecycle.js';
import type { RequestRepository } from '../requests/repository.js';
import type { RequestService } from '../requests/request-service.js';
import type { RequestRow } from '../requests/tables.js';
import type { JobClaims } from './claims.js';
import { assemblyJobId, featureJobId, type RequestFlow } from './flow.js';
import type { RunningSchedule } from './scheduled-jobs.js';
import type { Lease } from './lease.js';

/**
 * Postgres is the truth, Redis a cache of work. A flush, a restart without persistence or a
 * failover may lose jobs; the reconciler compares every request whose work BullMQ should hold
 * (received, queued, processing) with what Redis holds of its flow (or of its plan job, which adds
 * the flow of a request just written: one still to run is the flow on its way), and enqueues what is missing
 * again: the assembly, and a job per task still to run. Job ids derive from the request and the
 * feature, so what exists is kept, and Postgres' transitions make a task that has ended no-op.
 *
 * Lost means: the assembly is gone, has run while Postgres still waits for it (a manual task was
 * answered or the result released, and that enqueue was lost), or waits for a child Redis no
 * longer holds. Postgres is read again after Redis, since a job moves the request before BullMQ
 * marks it finished; and no job of the request may be claimed by a worker (claims.ts).
 */

const PAGE = 100;

export interface ReconcilerDeps {
  repo: Pick<RequestRepository, 'inQueue' | 'tasksOf' | 'findById'>;
  requests: Pick<RequestService, 'enqueue' | 'admission'>;
  flow: Pick<RequestFlow, 'inspect' | 'planPending'>;
  /**
   * A job may run in a worker whose claim Redis lost with the rest; the claim is written again within a
   * renewal. So a request counts as lost when found lost, and unclaimed, on looks `lostAfterMs` apart;
   * or at once when it is received or queued and has not moved for that long (a job that started would
   * have moved it to processing within moments).
   */
  claims: Pick<JobClaims, 'anyHeld' | 'lostAfterMs'>;
  schedules: readonly Pick<RunningSchedule, 'ensure'>[];
  /** With several workers, the one whose timer passes run (run() itself always passes). */
  lease?: Pick<Lease, 'hold'>;
  log: Logger;
}

export class Reconciler {
  /** Requests found lost, and since when. */
  private readonly suspects = new Map<string, number>();
  /** The pass under way or last run: passes run one after another. */
  private last: Promise<unknown> = Promise.resolve();
  private underWay = 0;

  constructor(private readonly deps: ReconcilerDeps) {}

  /** One pass over every request, after any pass under way; returns how many it enqueued again. */
  run(): Promise<number> {
    this.underWay++;
    const pass = this.last
      .catch(() => {})
      .then(() => this.reconcileAll())
      .finally(() => this.underWay--);
    this.last = pass;
    return pass;
  }

  /** A pass unless one is under way (on a timer: passes slower than its interval do not pile up). */
  async tick(): Promise<number> {
    if (this.underWay > 0) return 0;
    if (this.deps.lease && !(await this.deps.lease.hold())) return 0;
    return this.run();
  }

  /** Waits for the pass under way, if any (before the worker closes what it uses). */
  async settled(): Promise<void> {
    await this.last.catch(() => {});
  }

  private async reconcileAll(): Promise<number> {
    for (const schedule of this.deps.schedules) await schedule.ensure();
    const { admission } = this.deps.requests;
    // Requests waiting for admission are admission's: received ones are admitted, not enqueued, here.
    if (admission.limited) await admission.admitAll();
    const lost = new Set<string>();
    let enqueued = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.repo.inQueue(after, PAGE);
      for (const row of page) {
        if (admission.limited && row.status === 'received') continue;
        if (await this.reconcile(row, lost)) enqueued++;
      }
      if (page.length < PAGE) break;
      after = page.at(-1)?.id;
    }
    for (const id of this.suspects.keys()) if (!lost.has(id)) this.suspects.delete(id);
    if (enqueued > 0) this.deps.log.warn({ count: enqueued }, 'enqueued requests whose jobs Redis lost');
    return enqueued;
  }

  private async reconcile(row: RequestRow, lost: Set<string>): Promise<boolean> {
    const inRedis = await this.deps.flow.inspect(row.id);
    if (inRedis.assembly === 'pending' && inRedis.lostChildren.length === 0) return false;
    // Its plan job, still to run, adds the flow: nothing is lost.
    if (inRedis.assembly === 'missing' && (await this.deps.flow.planPending(row.id))) return false;
    const current = await this.deps.repo.findById(row.id);
    if (!current || current.status !== row.status) return false;
    const tasks = await this.deps.repo.tasksOf(row.id);
    const jobIds = [assemblyJobId(row.id), ...tasks.map((t) => featureJobId(row.id, t.feature))];
    if (await this.deps.claims.anyHeld(jobIds)) return false;
    const unmoved = current.status !== 'processing' && Date.now() - current.updatedAt.getTime() >= this.deps.claims.lostAfterMs;
    if (!unmoved && !this.lostLongEnough(row.id, lost)) return false;
    this.suspects.delete(row.id);
    const toRun = tasks.filter((t) => awaitsJob(t.status)).map((t) => t.feature);
    return this.deps.requests.enqueue(current, [...new Set([...toRun, ...inRedis.lostChildren])]);
  }

  private lostLongEnough(id: string, lost: Set<string>): boolean {
    lost.add(id);
    const since = this.suspects.get(id);
    if (since === undefined) this.suspects.set(id, Date.now());
    return since !== undefined && Date.now() - since >= this.deps.claims.lostAfterMs;
  }
}
