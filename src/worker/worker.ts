import { DelayedError, Worker, type Job } from 'bullmq';
import type { Context } from '../context.js';
import { ASSEMBLY_QUEUE, FEATURE_QUEUE, workerConnection, type AssemblyJobData, type FeatureJobData } from '../queue/flow.js';
import { runFeatureTask } from '../tasks/feature-task.js';
import { runAssembly } from '../tasks/assembly-task.js';
import { startScheduledJob } from '../queue/scheduled-jobs.js';
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
 * Runs a job's work. Postgres down is nobody's fault: the job waits (delayed by JOB_BACKOFF_MS, which
 * BullMQ counts as no attempt) and runs again, as often as it takes, once Postgres answers. Any other
 * failure fails the attempt, with a message a driver's error cannot put personal data into.
 */
async function guarded(ctx: Context, job: Job, token: string | undefined, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (unavailable(err) === 'database' && !(await answers(() => ctx.database.sql`select 1`))) {
      ctx.log.warn({ jobId: job.id, ...loggableError(err) }, 'Postgres is unavailable; the job waits for it');
      await job.moveToDelayed(Date.now() + ctx.config.jobBackoffMs, token);
      throw new DelayedError();
    }
    throw new JobFailed(errorKinds(err));
  }
}

export interface RunningWorker {
  close(): Promise<void>;
  /** Both queues are being worked (for the health heartbeat). */
  isRunning(): boolean;
  /** Compares the requests in Postgres with their jobs in Redis and enqueues what is missing (one pass). */
  reconcile(): Promise<number>;
}

export function startWorker(ctx: Context): RunningWorker {
  tuneHeapForStreaming();
  const connection = workerConnection(ctx.redis, ctx.log);
  const options = { connection, prefix: ctx.config.queuePrefix, concurrency: ctx.config.workerConcurrency };
  const claims = new JobClaims(ctx.redis, ctx.config.queuePrefix);

  const features = new Worker<FeatureJobData>(
    FEATURE_QUEUE,
    async (job, token) => {
      const log = ctx.log.child({ jobId: job.id, requestId: job.data.requestId, feature: job.data.feature });
      await guarded(ctx, job, token, () =>
        claims.hold(job.id ?? '', () => runFeatureTask({ ...ctx, log }, job.data.requestId, job.data.feature, attemptOf(job))),
      );
    },
    options,
  );
  const assembly = new Worker<AssemblyJobData>(
    ASSEMBLY_QUEUE,
    async (job, token) => {
      const log = ctx.log.child({ jobId: job.id, requestId: job.data.requestId });
      await guarded(ctx, job, token, () => claims.hold(job.id ?? '', () => runAssembly({ ...ctx, log }, job.data.requestId, attemptOf(job).last)));
      log.info('request assembled');
    },
    options,
  );
  // Housekeeping: each a repeatable job of its own queue, run once per interval across the deployment.
  const schedule = { connection, prefix: ctx.config.queuePrefix };
  const housekeeping = [
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
  ctx.metrics.observeFeatureJobs(features);
  ctx.metrics.observeAssemblyJobs(assembly);
  for (const worker of [features, assembly]) {
    // Job errors are recorded on the task; this only keeps the process informed, without job data.
    worker.on('error', (err) => ctx.log.error({ error: err.name }, 'worker error'));
  }

  // Webhook deliveries: sent from Postgres' outbox, enqueued again when Redis lost them.
  const webhooks = startWebhookDelivery({ db: ctx.database.db, secrets: ctx.secrets, outbound: ctx.outbound, log: ctx.log }, connection, {
    prefix: ctx.config.queuePrefix,
    attempts: ctx.config.webhookAttempts,
    backoffMs: ctx.config.webhookBackoffMs,
    timeoutMs: ctx.config.webhookTimeoutMs,
    pollMs: ctx.config.webhookPollMs,
    concurrency: ctx.config.workerConcurrency,
  });

  const reconciler = new Reconciler({ ...ctx, claims, schedules: housekeeping });
  const reconcile = () => void reconciler.tick().catch((err: Error) => ctx.log.error({ error: err.name }, 'reconciling failed'));
  const timer = setInterval(reconcile, ctx.config.reconcileIntervalMs);
  timer.unref();
  reconcile();

  return {
    reconcile: () => reconciler.run(),
    isRunning: () => features.isRunning() && assembly.isRunning(),
    async close() {
      clearInterval(timer);
      await reconciler.settled();
      await Promise.all([features.close(), assembly.close(), webhooks.close(), ...housekeeping.map((job) => job.close())]);
      connection.disconnect();
    },
  };
}
