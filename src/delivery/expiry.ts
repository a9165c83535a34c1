import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { DeliveryService } from './delivery-service.js';

/**
 * Results expire RESULT_TTL_DAYS after their request ended. A repeatable BullMQ job deletes
 * them: BullMQ keeps one scheduler per id however many workers upsert it, so one deletion pass
 * runs per interval across the deployment.
 */

export const EXPIRY_QUEUE = 'result-expiry';
const SCHEDULER_ID = 'expire-results';
const EVERY_MS = 60 * 60 * 1000;

export interface ExpiryWorker {
  close(): Promise<void>;
}

export function startExpiryWorker(
  delivery: DeliveryService,
  log: Logger,
  options: { connection: ConnectionOptions; prefix: string },
): ExpiryWorker {
  const queue = new Queue(EXPIRY_QUEUE, options);
  const worker = new Worker(
    EXPIRY_QUEUE,
    async () => {
      const count = await delivery.expireResults();
      if (count > 0) log.info({ count }, 'expired results deleted');
    },
    { ...options, concurrency: 1 },
  );
  worker.on('error', (err) => log.error({ error: err.name }, 'expiry worker error'));
  const scheduled = queue
    .upsertJobScheduler(SCHEDULER_ID, { every: EVERY_MS }, { name: SCHEDULER_ID, opts: { removeOnComplete: 100, removeOnFail: 100 } })
    .catch((err: Error) => log.error({ error: err.name }, 'scheduling result expiry failed'));
  return {
    async close() {
      await scheduled;
      await worker.close();
      await queue.close();
    },
  };
}
