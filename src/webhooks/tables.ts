import { bigint, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tables.js';
import { DELIVERY_STATES, WEBHOOK_EVENT_TYPES } from './events.js';

/** Where a tenant wants its request events delivered (POST /v1/webhooks). */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    events: text('events', { enum: WEBHOOK_EVENT_TYPES }).array().notNull(),
    /** The signing secret, sealed (src/connectors/secret-sealing.ts); shown once, at creation. */
    secret: text('secret').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('webhook_endpoints_tenant_idx').on(t.tenantId)],
);

/**
 * The outbox and the delivery log in one: a row per endpoint and event, written in the transaction
 * that records the event (src/audit/trail.ts), then sent by the worker through BullMQ (job id = row
 * id). The payload is built from the audit event when sent, so the row holds no copy of it.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    /**
     * The audit event delivered (audit_events.id); its id is the payload's `sequence`. No foreign key:
     * the trail refuses TRUNCATE with its own error, and is purged by age, as it is, without a look here.
     */
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    requestId: uuid('request_id').notNull(),
    type: text('type', { enum: WEBHOOK_EVENT_TYPES }).notNull(),
    state: text('state', { enum: DELIVERY_STATES }).notNull().default('pending'),
    /** HTTP attempts made, replays included. */
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    /** What went wrong last, as a kind (never the receiver's body). */
    lastError: text('last_error'),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_idx').on(t.endpointId, t.eventId),
    index('webhook_deliveries_state_idx').on(t.state, t.endpointId, t.requestId, t.eventId),
    // The housekeeping finds the log's rows past retention by it (retention.ts), a batch at a time.
    index('webhook_deliveries_last_attempt_idx').on(t.lastAttemptAt),
  ],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
