import { Worker, type Job } from 'bullmq';
import type { Context } from '../context.js';
import { ASSEMBLY_QUEUE, FEATURE_QUEUE, type AssemblyJobData, type FeatureJobData } from '../queue/flow.js';
import { runFeatureTask } from '../tasks/feature-task.js';
import { runAssembly } from '../tasks/assembly-task.js';
import { startScheduledJob } from '../queue/scheduled-jobs.js';
import { purgeExpiredRetention } from '../tasks/retention-purge.js';
import { tuneHeapForStreaming } from './heap.js';

/**
 * The worker only orchestrates: BullMQ hands it jobs (ids only), it calls the task
 * runners that hold the rules, and it re-enqueues requests a crash left behind.
 */

const SWEEP_INTERVAL_MS = 30_000;
const HOUR_MS = 60 * 60 * 1000;
const STRANDED_AFTER_MS = 15_000;

function attemptOf(job: Job): { number: number; last: boolean } {
  const number = job.attemptsMade + 1;
  return { number, last: number >= (job.opts.attempts ?? 1) };
}

export interface RunningWorker {
  close(): Promise<void>;
  /** Both queues are being worked (for the health heartbeat). */
  isRunning(): boolean;
  /** Re-enqueue requests that were stored but never queued (crash between the two). */
  sweep(): Promise<number>;
}

export function startWorker(ctx: Context): RunningWorker {
  tuneHeapForStreaming();
  const connection = ctx.redis.duplicate();
  const options = { connection, prefix: ctx.config.queuePrefix, concurrency: ctx.config.workerConcurrency };

  const features = new Worker<FeatureJobData>(
    FEATURE_QUEUE,
    async (job) => {
      const log = ctx.log.child({ jobId: job.id, requestId: job.data.requestId, feature: job.data.feature });
      await runFeatureTask({ ...ctx, log }, job.data.requestId, job.data.feature, attemptOf(job));
    },
    options,
  );
  const assembly = new Worker<AssemblyJobData>(
    ASSEMBLY_QUEUE,
    async (job) => {
      const log = ctx.log.child({ jobId: job.id, requestId: job.data.requestId });
      await runAssembly({ ...ctx, log }, job.data.requestId, attemptOf(job).last);
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

  const sweep = async () => {
    const stranded = await ctx.repo.stranded(new Date(Date.now() - STRANDED_AFTER_MS));
    for (const row of stranded) await ctx.requests.enqueue(row);
    if (stranded.length > 0) ctx.log.info({ count: stranded.length }, 're-enqueued stranded requests');
    return stranded.length;
  };
  const timer = setInterval(() => void sweep().catch((err) => ctx.log.error({ error: err.name }, 'sweep failed')), SWEEP_INTERVAL_MS);
  timer.unref();
  void sweep().catch(() => {});

  return {
    sweep,
    isRunning: () => features.isRunning() && assembly.isRunning(),
    async close() {
      clearInterval(timer);
      await Promise.all([features.close(), assembly.close(), ...housekeeping.map((job) => job.close())]);
      connection.disconnect();
    },
  };
}
