import { and, inArray, lt, ne, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { webhookDeliveries } from './tables.js';

/**
 * The delivery log is kept WEBHOOK_DELIVERY_RETENTION_DAYS after a delivery's last attempt, then
 * deleted by the worker's hourly housekeeping. A pending delivery stays whatever its age: it is still
 * to be sent, tried again after a failure, or replayed (a replay makes it pending again).
 */

/** Rows per statement: each batch is a short transaction of its own, so no lock is held for long. */
const PURGE_BATCH = 1000;

/** Deletes the log's rows past retention, a batch at a time; returns how many. */
export async function purgeDeliveryLog(db: Db, retentionDays: number, batchSize = PURGE_BATCH): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await purgeDeliveryBatch(db, retentionDays, batchSize);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

/**
 * One batch. Rows another transaction holds (a replay making one pending) are skipped, and the state
 * is checked again on the row deleted, so a delivery that became pending meanwhile stays.
 */
export async function purgeDeliveryBatch(db: Db, retentionDays: number, batchSize: number): Promise<number> {
  const ended = ne(webhookDeliveries.state, 'pending');
  const due = db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(and(ended, lt(webhookDeliveries.lastAttemptAt, sql`now() - make_interval(days => ${retentionDays})`)))
    .limit(batchSize)
    .for('update', { skipLocked: true });
  const deleted = await db
    .delete(webhookDeliveries)
    .where(and(inArray(webhookDeliveries.id, due), ended))
    .returning({ id: webhookDeliveries.id });
  return deleted.length;
}
