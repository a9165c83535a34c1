import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { loggableError } from '../errors.js';
import { auditEvents } from '../audit/tables.js';
import { sign } from '../connectors/signing.js';
import type { SecretSealer } from '../connectors/secret-sealing.js';
import { OutboundRefused, type OutboundGuard } from '../outbound/guard.js';
import { STATUS_EVENT_KINDS, statusOfEvent } from './events.js';
import type { WebhookPayload } from './schemas.js';
import { webhookDeliveries, webhookEndpoints } from './tables.js';
import { secretOwner } from './webhook-service.js';
import { quiet } from '../queue/flow.js';

/**
 * The worker's side of webhooks. Postgres holds every delivery (the outbox, outbox.ts); a relay
 * enqueues each pending one as a BullMQ job whose id is the delivery's, on a timer, so a job Redis
 * lost is enqueued again and one enqueued twice runs once. BullMQ retries a failed attempt with
 * exponential backoff; each attempt is recorded on the row.
 *
 * Order: a request's events reach an endpoint in the order they happened. The relay enqueues only
 * the oldest pending delivery of each endpoint and request, the next one once it is delivered or has
 * failed for good; and every payload carries `sequence` (the audit event's id), which grows with
 * every event, so a receiver can also order what a replay sends late.
 */

export const WEBHOOK_QUEUE = 'webhooks';
export interface WebhookJobData {
  deliveryId: string;
}

export interface WebhookDeliveryOptions {
  prefix: string;
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
  pollMs: number;
  concurrency: number;
}

interface Deps {
  db: Db;
  secrets: SecretSealer;
  outbound: OutboundGuard;
  log: Logger;
}

type Outcome = 'delivered' | 'retry' | 'failed' | 'skipped';

const RELAY_BATCH = 500;

export function startWebhookDelivery(deps: Deps, connection: ConnectionOptions, options: WebhookDeliveryOptions) {
  const queue = quiet(new Queue<WebhookJobData>(WEBHOOK_QUEUE, { connection, prefix: options.prefix }));
  const jobOptions = {
    attempts: options.attempts,
    backoff: { type: 'exponential', delay: options.backoffMs },
    removeOnComplete: true,
    removeOnFail: true,
  };
  let relaying: Promise<number> | undefined;
  const relayOnce = async (): Promise<number> => {
    const ids = await pendingHeads(deps.db);
    await queue.addBulk(ids.map((deliveryId) => ({ name: 'deliver', data: { deliveryId }, opts: { ...jobOptions, jobId: deliveryId } })));
    return ids.length;
  };
  /** One relay at a time: a tick while one runs waits for it. */
  const relay = () => (relaying ??= relayOnce().finally(() => (relaying = undefined)));

  const worker = new Worker<WebhookJobData>(
    WEBHOOK_QUEUE,
    async (job) => {
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const outcome = await attempt(deps, job.data.deliveryId, options.timeoutMs, last).catch(async (err: unknown) => {
        // Not the receiver's doing (a secret that does not open, the database): the row records it
        // when it was the last try, so the relay does not enqueue it again and again.
        deps.log.error({ deliveryId: job.data.deliveryId, ...loggableError(err) }, 'webhook delivery could not be attempted');
        if (last) await giveUp(deps.db, job.data.deliveryId);
        throw err;
      });
      if (outcome === 'retry') throw new Error('webhook delivery failed');
      // The next event of the same request may go now, without waiting for the timer.
      if (outcome !== 'skipped') void relay().catch(() => {});
    },
    { connection, prefix: options.prefix, concurrency: options.concurrency },
  );
  worker.on('error', (err) => deps.log.error({ error: err.name }, 'webhook worker error'));
  const tick = () => void relay().catch((err: Error) => deps.log.error({ error: err.name }, 'webhook relay failed'));
  const timer = setInterval(tick, options.pollMs);
  timer.unref();
  tick();

  return {
    relay,
    /** `force`: Redis does not answer; the relay under way and the deliveries running are not waited for. */
    async close(force = false) {
      clearInterval(timer);
      if (!force) await relaying?.catch(() => {});
      await worker.close(force);
      await queue.close();
    },
  };
}

/** The oldest pending delivery of each endpoint and request. */
async function pendingHeads(db: Db): Promise<string[]> {
  const rows = await db
    .selectDistinctOn([webhookDeliveries.endpointId, webhookDeliveries.requestId], { id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.state, 'pending'))
    .orderBy(webhookDeliveries.endpointId, webhookDeliveries.requestId, webhookDeliveries.eventId)
    .limit(RELAY_BATCH);
  return rows.map((r) => r.id);
}

async function giveUp(db: Db, deliveryId: string): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ state: 'failed', lastError: 'internal', lastAttemptAt: new Date() })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.state, 'pending')));
}

/** One HTTP attempt of a pending delivery, recorded on its row. */
async function attempt(deps: Deps, deliveryId: string, timeoutMs: number, last: boolean): Promise<Outcome> {
  const [row] = await deps.db
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(eq(webhookDeliveries.id, deliveryId));
  if (row?.delivery.state !== 'pending') return 'skipped'; // removed, or already sent
  const { delivery, endpoint } = row;
  const body = JSON.stringify(await payloadOf(deps.db, delivery));
  const secret = deps.secrets.open(endpoint.secret, secretOwner(endpoint.id));
  const result = await send(deps.outbound, new URL(endpoint.url), body, secret, delivery, timeoutMs);
  const outcome: Outcome = result.ok ? 'delivered' : last ? 'failed' : 'retry';
  const now = new Date();
  await deps.db
    .update(webhookDeliveries)
    .set({
      state: outcome === 'retry' ? 'pending' : outcome === 'delivered' ? 'delivered' : 'failed',
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      lastStatusCode: result.status ?? null,
      lastError: result.ok ? null : result.error,
      lastAttemptAt: now,
      deliveredAt: result.ok ? now : null,
    })
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.state, 'pending')));
  if (!result.ok) deps.log.warn({ deliveryId, webhookId: endpoint.id, error: result.error, status: result.status, last }, 'webhook delivery failed');
  return outcome;
}

type SendResult = { ok: true; status: number } | { ok: false; status?: number; error: string };

async function send(
  outbound: OutboundGuard,
  url: URL,
  body: string,
  secret: string,
  delivery: { id: string; type: string },
  timeoutMs: number,
): Promise<SendResult> {
  const headers = {
    ...sign(secret, { method: 'POST', path: url.pathname + url.search, body }),
    'content-type': 'application/json',
    'x-dsar-delivery': delivery.id,
    'x-dsar-event': delivery.type,
  };
  try {
    const response = await outbound.fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    // The receiver's body is never read: only its status counts.
    await response.body?.cancel().catch(() => {});
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    const error = response.status >= 300 && response.status < 400 ? 'redirect' : 'http-status';
    return { ok: false, status: response.status, error };
  } catch (err) {
    if (err instanceof OutboundRefused) return { ok: false, error: err.kind };
    if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return { ok: false, error: 'timeout' };
    return { ok: false, error: 'network' };
  }
}

/** Ids and statuses only, from the audit event (append-only, so a replay sends the same payload). */
async function payloadOf(db: Db, delivery: { id: string; eventId: number; requestId: string; type: WebhookPayload['type'] }): Promise<WebhookPayload> {
  const [event] = await db.select().from(auditEvents).where(eq(auditEvents.id, delivery.eventId));
  if (!event) throw new Error('the delivered event is gone');
  const [before] = await db
    .select({ kind: auditEvents.kind })
    .from(auditEvents)
    .where(and(eq(auditEvents.requestId, delivery.requestId), lt(auditEvents.id, delivery.eventId), inArray(auditEvents.kind, [...STATUS_EVENT_KINDS])))
    .orderBy(desc(auditEvents.id))
    .limit(1);
  const previousStatus = before ? statusOfEvent(before.kind) : undefined;
  // A status change leads to the status its event names; an extension leaves the status as it was.
  const status = statusOfEvent(event.kind) ?? previousStatus ?? 'unknown';
  return {
    id: delivery.id,
    type: delivery.type,
    occurredAt: event.at.toISOString(),
    tenantId: event.tenantId,
    requestId: delivery.requestId,
    status,
    ...(delivery.type === 'request.status_changed' && previousStatus ? { previousStatus } : {}),
    sequence: delivery.eventId,
    ...recipientsOf(event.detail),
  };
}

/** A deletion's closing event lists the recipients to tell (assembly-task.ts); read back, so checked. */
function recipientsOf(detail: unknown): { recipients?: string[] } {
  const recipients = (detail as { recipients?: unknown } | null)?.recipients;
  return Array.isArray(recipients) && recipients.every((r) => typeof r === 'string') ? { recipients } : {};
}
