import { Worker, type Job } from 'bullmq';
import type { Context } from '../context.js';
import { ASSEMBLY_QUEUE, FEATURE_QUEUE, type AssemblyJobData, type FeatureJobData } from '../queue/flow.js';
import { runFeatureTask } from '../tasks/feature-task.js';
import { runAssembly } from '../tasks/assembly-task.js';
import { startScheduledJob } from '../queue/scheduled-jobs.js';
import { JobClaims } from '../queue/claims.js';
import { Reconciler } from '../queue/reconciler.js';
import { purgeExpiredRetention } from '../tasks/retention-purge.js';
import { tuneHeapForStreaming } from './heap.js';
import { startWebhookDelivery } from '../webhooks/delivery.js';

/**
 * The worker only orchestrates: BullMQ hands it jobs (ids only), it calls the task runners
 * that hold the rules, and its reconciler enqueues again what Redis lost (or a crash left behind).
 */

const HOUR_MS = 60 * 60 * 1000;

function attemptOf(job: Job): { number: number; last: boolean } {
  const number = job.attemptsMade + 1;
  return { number, last: number >= (job.opts.attempts ?? 1) };
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
  const connection = ctx.redis.duplicate();
  const options = { connection, prefix: ctx.config.queuePrefix, concurrency: ctx.config.workerConcurrency };
  const claims = new JobClaims(ctx.redis, ctx.config.queuePrefix);

  const features = new Worker<FeatureJobData>(
    FEATURE_QUEUE,
    async (job) => {
      const log = ctx.log.child({ jobId: job.id, requestId: job.data.requestId, feature: job.data.feature });
      await claims.hold(job.id ?? '', () => runFeatureTask({ ...ctx, log }, job.data.requestId, job.data.feature, attemptOf(job)));
    },
    options,
  );
  const assembly = new Worker<AssemblyJobData>(
    ASSEMBLY_QUEUE,
    async (job) => {
      const log = ctx.log.child({ jobId: job.id, requestId: job.data.requestId });
      await claims.hold(job.id ?? '', () => runAssembly({ ...ctx, log }, job.data.requestId, attemptOf(job).last));
      log.info('request assembled');
    },
    options,
  );
  // Deletes results past RESULT_TTL_DAYS, on a repeatable job of its own queue.
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
