import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { webhookDeliveries, webhookEndpoints } from './tables.js';
import type { WebhookEventType } from './events.js';

/**
 * The outbox: an event's insert, wrapped so that the same statement writes a delivery row for each
 * of the tenant's endpoints that wants the event. One statement: the event and its deliveries are
 * written together or not at all, inside a caller's transaction or without one. The worker sends
 * pending rows (delivery.ts), so Redis losing a job loses no delivery.
 *
 * `insertEvent` must return the event's `id`, `tenant_id` and `request_id`.
 */
export function withDeliveries(insertEvent: SQL, type: WebhookEventType): SQL {
  return sql`with e as (${insertEvent}) ${deliveriesOf(sql`e`, type)}`;
}

/** The deliveries of the events a CTE of the same statement inserted (returning their `id`, `tenant_id` and `request_id`). */
export function deliveriesOf(events: SQLWrapper, type: WebhookEventType): SQL {
  return sql`insert into ${webhookDeliveries} (endpoint_id, event_id, request_id, type)
    select w.id, e.id, e.request_id, ${type}
    from ${events} e join ${webhookEndpoints} w on w.tenant_id = e.tenant_id and ${type} = any(w.events)`;
}
