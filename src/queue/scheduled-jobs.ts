import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { quiet } from './flow.js';

/**
 * Housekeeping that runs on a schedule (expiring results, purging retained data whose period
 * ended). BullMQ keeps one scheduler per id however many workers upsert it, so each job runs
 * once per interval across the deployment, not once per host.
 */
export interface ScheduledJob {
  name: string;
  everyMs: number;
  run(): Promise<number>;
}

export interface RunningSchedule {
  /** Schedules the job again if Redis lost its scheduler (upserting is idempotent); returns whether it had to. */
  ensure(): Promise<boolean>;
  /** `force`: Redis does not answer; the scheduling and the run under way are not waited for. */
  close(force?: boolean): Promise<void>;
}

export function startScheduledJob(
  job: ScheduledJob,
  log: Logger,
  options: { connection: ConnectionOptions; prefix: string },
): RunningSchedule {
  const queue = quiet(new Queue(job.name, options));
  const worker = new Worker(
    job.name,
    async () => {
      const count = await job.run();
      if (count > 0) log.info({ job: job.name, count }, 'scheduled job done');
    },
    { ...options, concurrency: 1 },
  );
  worker.on('error', (err) => log.error({ job: job.name, error: err.name }, 'scheduled job worker error'));
  const schedule = () =>
    queue.upsertJobScheduler(job.name, { every: job.everyMs }, { name: job.name, opts: { removeOnComplete: 100, removeOnFail: 100 } });
  const scheduled = schedule().catch((err: Error) => log.error({ job: job.name, error: err.name }, 'scheduling failed'));
  return {
    async ensure() {
      if (await queue.getJobScheduler(job.name)) return false;
      await schedule();
      log.warn({ job: job.name }, 'Redis lost the schedule; scheduled again');
      return true;
    },
    async close(force = false) {
      if (!force) await scheduled;
      await worker.close(force);
      await queue.close();
    },
  };
}
