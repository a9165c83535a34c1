import { sql, type SQL } from 'drizzle-orm';
import { webhookDeliveries, webhookEndpoints } from './tables.js';
import type { WebhookEventType } from './events.js';

/**
 * The outbox: an event's insert, wrapped so that the same statement writes a delivery row for each
 * of the tenant's endpoints that wants the event. One statement: the event and its deliveries are
 * written together or not at all, inside a caller's transaction or without one. The worker sends
 * pending rows (delivery.ts), so Redis losing a job loses no delivery.
 *
 * `insertEvent` must return the event's `id` and `tenant_id`.
 */
export function withDeliveries(insertEvent: SQL, requestId: string, type: WebhookEventType): SQL {
  return sql`with e as (${insertEvent})
    insert into ${webhookDeliveries} (endpoint_id, event_id, request_id, type)
    select w.id, e.id, ${requestId}::uuid, ${type}
    from e join ${webhookEndpoints} w on w.tenant_id = e.tenant_id and ${type} = any(w.events)`;
}
