import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Context } from '../context.js';
import { ASSEMBLY_QUEUE, BACKLOG_QUEUE, FEATURE_QUEUE, PLAN_QUEUE, type AssemblyJobData, type FeatureJobData, type PlanJobData } from '../queue/flow.js';
import { addFlow } from '../requests/hand-over.js';
import { runFeatureTask } from '../tasks/feature-task.js';
import { runAssembly } from '../tasks/assembly-task.js';
import { startScheduledJob, type RunningSchedule } from '../queue/scheduled-jobs.js';
import { FeatureSlots } from '../queue/feature-slots.js';
import { Lease } from '../queue/lease.js';
import { workerConnections, type RedisClient, type WorkerConnections } from '../queue/redis.js';
import { JobClaims } from '../queue/claims.js';
import { Reconciler } from '../queue/reconciler.js';
import { purgeExpiredRetention } from '../tasks/retention-purge.js';
import { tuneHeapForStreaming } from './heap.js';
import { answers, unavailable } from '../dependencies.js';
import { errorKinds, loggableError } from '../errors.js';
import { startWebhookDelivery } from '../webhooks/delivery.js';
import { purgeDeliveryLog } from '../webhooks/retention.js';

/**
 * The worker only orchestrates: BullMQ hands it jobs (ids only), it calls the task runners
 * that hold the rules, and its reconciler enqueues again what Redis lost (or a crash left behind).
 */

const HOUR_MS = 60 * 60 * 1000;

function attemptOf(job: Job): { number: number; last: boolean } {
  const number = job.attemptsMade + 1;
  return { number, last: number >= (job.opts.attempts ?? 1) };
}

/** What BullMQ keeps of a failed job (failedReason, stacktrace; shown on /admin/queues): the error's kind, never its message. */
class JobFailed extends Error {
  override name = 'JobFailed';
}

/**
 * Whether a job's failure is Postgres' outage, which costs the job no attempt: a connection error while
 * Postgres does not answer a probe, or moments (`memoryMs`) after this worker saw it not answer. Postgres
 * may be back between a job's failure and the probe; the failure is still the outage's. (A feature
 * store's failure in those moments costs its job one more run, not an attempt.)
 */
export class PostgresOutages {
  private seenDownAt = -Infinity;

  constructor(
    private readonly answers: () => Promise<boolean>,
    private readonly memoryMs: number,
  ) {}

  async explain(err: unknown, failedAt = Date.now()): Promise<boolean> {
    if (unavailable(err) !== 'database') return false;
    if (!(await this.answers())) {
      this.seenDownAt = Date.now();
      return true;
    }
    return failedAt - this.seenDownAt <= this.memoryMs;
  }
}

/** How long after a probe that failed a job's connection error is still the outage's: its job runs again a backoff after that probe, later on a busy host. */
const OUTAGE_MEMORY_MS = 5_000;

/**
 * Runs a job's work. Postgres down is nobody's fault: the job waits (delayed by JOB_BACKOFF_MS, which
 * BullMQ counts as no attempt) and runs again, as often as it takes, once Postgres answers. Any other
 * failure fails the attempt, with a message a driver's error cannot put personal data into.
 */
async function guarded(ctx: Context, outages: PostgresOutages, job: Job, token: string | undefined, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (await outages.explain(err)) {
      ctx.log.warn({ jobId: job.id, ...loggableError(err) }, 'Postgres is unavailable; the job waits for it');
      await job.moveToDelayed(Date.now() + ctx.config.jobBackoffMs, token);
      throw new DelayedError();
    }
    throw new JobFailed(errorKinds(err));
  }
}

export interface RunningWorker {
  close(): Promise<void>;
  /** The queues of its pools are being worked (for the health heartbeat). */
  isRunning(): boolean;
  /** Compares the requests in Postgres with their jobs in Redis and enqueues what is missing (one pass). */
  reconcile(): Promise<number>;
}

/** How long a feature task waits when its feature's slots are all taken (FEATURE_CONCURRENCY), before trying again. */
const SLOT_WAIT_MS = 250;

/**
 * Runs the pools WORKER_QUEUES names (all by default), each at its own concurrency: any number of
 * worker processes on any hosts share the work of one Redis and one Postgres.
 */
export function startWorker(ctx: Context): RunningWorker {
  tuneHeapForStreaming();
  const connections = workerConnections(ctx.redis, ctx.log);
  const { connection } = connections;
  const pools = new Set(ctx.config.workerQueues);
  const claims = new JobClaims(ctx.redis, ctx.config.queuePrefix, ctx.config.claimRenewMs);
  const slots = new FeatureSlots(ctx.redis, ctx.config.queuePrefix, ctx.config.featureConcurrency, ctx.config.claimRenewMs);
  const outages = new PostgresOutages(() => answers(() => ctx.database.sql`select 1`), ctx.config.jobBackoffMs + OUTAGE_MEMORY_MS);
  const queues: Worker[] = [];
  const closing: Array<{ close(force?: boolean): Promise<void> }> = [];
  const running = new Running();
  let closed = false;
  const working = (worker: Worker) => {
    // Job errors are recorded on the task; this only keeps the process informed, without job data.
    worker.on('error', (err) => ctx.log.error({ error: err.name }, 'worker error'));
    queues.push(worker);
    closing.push(worker);
  };

  if (pools.has('feature-tasks')) {
    const runTask = running.wrap(async (job: Job<FeatureJobData>, token?: string) => {
      const log = ctx.log.child({ jobId: job.id, requestId: job.data.requestId, feature: job.data.feature });
      const jobId = job.id ?? '';
      const ran = await slots.hold(job.data.feature, jobId, () =>
        guarded(ctx, outages, job, token, () => claims.hold(jobId, () => runFeatureTask({ ...ctx, log }, job.data.requestId, job.data.feature, attemptOf(job)))),
      );
      if (!ran) {
        await job.moveToDelayed(Date.now() + SLOT_WAIT_MS + Math.floor(Math.random() * SLOT_WAIT_MS), token);
        throw new DelayedError();
      }
    });
    const lane = (queue: string, concurrency: number) => {
      const features = new Worker<FeatureJobData>(queue, runTask, { connection, prefix: ctx.config.queuePrefix, concurrency });
      ctx.metrics.observeFeatureJobs(features);
      return features;
    };
    working(lane(FEATURE_QUEUE, ctx.config.workerConcurrency));
    // A flooding tenant's tasks (admission.ts) run few at a time: another tenant's start at once beside them.
    // Only admission puts tasks in that lane. Without TENANT_MAX_ACTIVE_REQUESTS no idle BullMQ Worker is
    // kept for it (each is one more blocking connection to recover after a Redis outage): the lane is
    // worked only if it still holds tasks from when the limit was set.
    const backlog = () => working(lane(BACKLOG_QUEUE, ctx.config.backlogConcurrency));
    if (ctx.config.tenantMaxActiveRequests > 0) backlog();
    else {
      backlogHolds(ctx)
        .then((held) => held && !closed && backlog())
        .catch((err: Error) => ctx.log.error({ error: err.name }, 'backlog lane not checked'));
    }
    // A request's plan job adds its flow: with the feature tasks, so that any pool set that runs tasks starts them.
    working(
      new Worker<PlanJobData>(PLAN_QUEUE, running.wrap((job, token) => guarded(ctx, outages, job, token, () => addFlow(job.data.requestId, ctx))), {
        connection,
        prefix: ctx.config.queuePrefix,
        concurrency: ctx.config.workerConcurrency,
      }),
    );
  }
  if (pools.has('assembly')) {
    const assembly = new Worker<AssemblyJobData>(
      ASSEMBLY_QUEUE,
      running.wrap(async (job: Job<AssemblyJobData>, token?: string) => {
        const log = ctx.log.child({ jobId: job.id, requestId: job.data.requestId });
        await guarded(ctx, outages, job, token, () => claims.hold(job.id ?? '', () => runAssembly({ ...ctx, log }, job.data.requestId, attemptOf(job).last)));
        log.info('request assembled');
        // Its tenant has one request fewer in flight: the next waiting one may go (TENANT_MAX_ACTIVE_REQUESTS).
        await ctx.requests.admission.after(job.data.requestId);
      }),
      { connection, prefix: ctx.config.queuePrefix, concurrency: ctx.config.assemblyConcurrency },
    );
    ctx.metrics.observeAssemblyJobs(assembly);
    working(assembly);
  }

  if (pools.has('webhooks')) {
    // Webhook deliveries: sent from Postgres' outbox (its relay enqueues each delivery once, by its id,
    // however many workers relay), enqueued again when Redis lost them.
    const webhooks = startWebhookDelivery({ db: ctx.database.db, secrets: ctx.secrets, outbound: ctx.outbound, log: ctx.log }, connection, {
      prefix: ctx.config.queuePrefix,
      attempts: ctx.config.webhookAttempts,
      backoffMs: ctx.config.webhookBackoffMs,
      timeoutMs: ctx.config.webhookTimeoutMs,
      pollMs: ctx.config.webhookPollMs,
      concurrency: ctx.config.webhookConcurrency,
    });
    closing.push(webhooks);
  }

  const housekeeping = pools.has('housekeeping') ? startHousekeeping(ctx, connection) : [];
  closing.push(...housekeeping);
  // One reconciler at a time across the deployment: the worker holding the lease passes; the others stand by.
  const lease = new Lease(ctx.redis, `${ctx.config.queuePrefix}:reconciler`, 3 * ctx.config.reconcileIntervalMs);
  const reconciler = new Reconciler({ ...ctx, claims, schedules: housekeeping, lease });
  const reconcile = () => void reconciler.tick().catch((err: Error) => ctx.log.error({ error: err.name }, 'reconciling failed'));
  const timer = pools.has('housekeeping') ? setInterval(reconcile, ctx.config.reconcileIntervalMs) : undefined;
  timer?.unref();
  if (timer) reconcile();

  return {
    reconcile: () => reconciler.run(),
    isRunning: () => queues.every((worker) => worker.isRunning()),
    async close() {
      closed = true;
      clearInterval(timer);
      await reconciler.settled();
      if (timer) await lease.release().catch(() => {});
      if (connection.status === 'ready') {
        await Promise.all(closing.map((item) => item.close()));
        connection.disconnect();
        return;
      }
      await closeWithoutRedis(running, closing, connections, ctx.config.shutdownGraceMs / 2, ctx.log);
    },
  };
}

/** The jobs this worker's processors run (BullMQ's own count needs Redis). */
class Running {
  private readonly jobs = new Set<Promise<unknown>>();

  wrap<A extends unknown[]>(processor: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
    return (...args) => {
      const job = processor(...args);
      this.jobs.add(job);
      return job.finally(() => this.jobs.delete(job));
    };
  }

  /** Resolves when those running now have returned, or after `ms`. */
  async settled(ms: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.jobs]), sleep(ms, undefined, { ref: false })]);
  }
}

/** How often a closing worker looks whether its connections have stopped. */
const REDIS_CHECK_MS = 250;

/**
 * Closing while Redis does not answer. BullMQ's closes wait for Redis (bullmq#4656): running jobs
 * get `graceMs` to return, then the closes are forced and the connections stop trying. Nothing is
 * lost: Postgres holds each request and task; a job left active in Redis is a stalled job once Redis
 * is back (run again by another worker), one Redis lost is enqueued again by the reconciler.
 * Half of SHUTDOWN_GRACE_MS: the rest of the process closes in the other half.
 */
async function closeWithoutRedis(
  running: Running,
  closing: Array<{ close(force?: boolean): Promise<void> }>,
  connections: WorkerConnections,
  graceMs: number,
  log: Logger,
): Promise<void> {
  log.warn({ graceMs }, 'Redis does not answer: the worker closes without it; what did not finish is done again');
  await running.settled(graceMs);
  await Promise.all(closing.map((item) => item.close(true)));
  // A connection attempting to connect is stopped once it failed, waiting to try again (see `stop`).
  const deadline = Date.now() + graceMs;
  while (!connections.stop() && Date.now() < deadline) await sleep(REDIS_CHECK_MS);
}

/** Whether the backlog lane holds tasks (waiting, or taken by a worker that stopped). */
async function backlogHolds(ctx: Context): Promise<boolean> {
  const queue = new Queue(BACKLOG_QUEUE, { connection: ctx.redis, prefix: ctx.config.queuePrefix });
  try {
    const counts = await queue.getJobCounts('active', 'waiting', 'prioritized', 'delayed', 'paused');
    return Object.values(counts).some((count) => count > 0);
  } finally {
    await queue.close();
  }
}

/** Housekeeping: each a repeatable job of its own queue, run once per interval across the deployment. */
function startHousekeeping(ctx: Context, connection: RedisClient): RunningSchedule[] {
  const schedule = { connection, prefix: ctx.config.queuePrefix };
  return [
    // Results are deleted when their time is up; the request becomes `expired`.
    startScheduledJob({ name: 'result-expiry', everyMs: HOUR_MS, run: () => ctx.delivery.expireResults() }, ctx.log, schedule),
    // Data retained for a legal obligation is erased when its period ends.
    startScheduledJob(
      { name: 'retention-purge', everyMs: HOUR_MS, run: () => purgeExpiredRetention({ ...ctx, tenantIds: () => ctx.tenants.ids() }) },
      ctx.log,
      schedule,
    ),
    // Requests whose result is gone lose their free text; records past RECORD_RETENTION_MONTHS go, with their requests.
    startScheduledJob({ name: 'request-records', everyMs: HOUR_MS, run: () => ctx.records.housekeep() }, ctx.log, schedule),
    // Idempotency-Keys past their 24 hours (a call with one also clears its own when it finds it expired).
    startScheduledJob({ name: 'idempotency-expiry', everyMs: HOUR_MS, run: () => ctx.idempotency.purgeExpired() }, ctx.log, schedule),
    // The webhook delivery log past WEBHOOK_DELIVERY_RETENTION_DAYS (pending deliveries stay).
    startScheduledJob(
      { name: 'webhook-delivery-retention', everyMs: HOUR_MS, run: () => purgeDeliveryLog(ctx.database.db, ctx.config.webhookDeliveryRetentionDays) },
      ctx.log,
      schedule,
    ),
  ];
}
