import Type, { type Static } from 'typebox';
import { DELIVERY_STATES, WEBHOOK_EVENT_TYPES } from './events.js';
import { ref } from '../http/openapi.js';

/** Webhook schemas, written once: validation, types and OpenAPI. */

const EventType = Type.Enum([...WEBHOOK_EVENT_TYPES], {
  description: "request.status_changed: a request's status changed (approval and release included); request.extended: its deadline was extended",
});

export const CreateWebhookBody = Type.Object(
  {
    url: Type.String({ format: 'uri', maxLength: 2000, description: 'Where events are POSTed: https, a public address' }),
    events: Type.Array(EventType, { minItems: 1, uniqueItems: true }),
  },
  { additionalProperties: false },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBody>;

export const WebhookView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  events: Type.Array(EventType),
  createdAt: Type.String({ format: 'date-time' }),
}, { $id: 'Webhook', description: "An endpoint of the tenant's, and the events it gets" });
export type WebhookView = Static<typeof WebhookView>;

export const CreatedWebhook = Type.Object({
  ...WebhookView.properties,
  secret: Type.String({
    description:
      'The signing secret: shown in this answer only. Each delivery carries X-DSAR-Timestamp and X-DSAR-Signature ' +
      '(v1=HMAC-SHA256 as the feature connector signs: "<timestamp>.POST.<path>.<hex SHA-256 of body>")',
  }),
});
export type CreatedWebhook = Static<typeof CreatedWebhook>;

export const WebhookList = Type.Object({ items: Type.Array(ref(WebhookView)) });
export type WebhookList = Static<typeof WebhookList>;

export const WebhookParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'Webhook id' }) });
export const DeliveryParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Webhook id' }),
  deliveryId: Type.String({ format: 'uuid', description: 'Delivery id' }),
});

export const DeliveryQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 100, description: 'nextCursor of the previous page' })),
});
export type DeliveryQuery = Static<typeof DeliveryQuery>;

export const DeliveryView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  type: EventType,
  requestId: Type.String({ format: 'uuid' }),
  sequence: Type.Integer({ description: "The event's place in the tenant's history: the payload's sequence" }),
  state: Type.Enum([...DELIVERY_STATES], { description: 'failed: every attempt failed (a replay tries again)' }),
  attempts: Type.Integer({ minimum: 0 }),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()], { description: 'What went wrong last: http-status, timeout, network, redirect, outbound-refused' }),
  lastAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
}, { $id: 'WebhookDelivery', description: 'One event sent to one endpoint: its state and attempts' });
export type DeliveryView = Static<typeof DeliveryView>;

export const DeliveryList = Type.Object({
  items: Type.Array(ref(DeliveryView)),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type DeliveryList = Static<typeof DeliveryList>;

/** What a receiver gets: ids and statuses, never personal data. */
export const WebhookPayload = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'The delivery id: the same on every attempt and replay' }),
    type: EventType,
    occurredAt: Type.String({ format: 'date-time' }),
    tenantId: Type.String(),
    requestId: Type.String({ format: 'uuid' }),
    status: Type.String({ description: "The request's status after the event" }),
    previousStatus: Type.Optional(Type.String()),
    sequence: Type.Integer({ description: 'Increases with every event of the tenant: order by it' }),
    recipients: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'A completed deletion: the ids of every recipient its receipt lists, to be told of the erasure (GDPR Art. 19): ' +
          'a recipient id of the catalogue or the tenant notice, and `<id>:<name>` for each one the subject\'s data named (an applet). ' +
          'The receipt says what to tell each',
      }),
    ),
  },
  { additionalProperties: false },
);
export type WebhookPayload = Static<typeof WebhookPayload>;

const WEBHOOK_EXAMPLE = {
  id: '3c8e5f1a-7b2d-4c6e-9f0a-1b2c3d4e5f60',
  url: 'https://console.example.com/dsar-events',
  events: ['request.status_changed'],
  createdAt: '2026-12-01T09:00:00.000Z',
};
const DELIVERY_EXAMPLE = {
  id: '8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d',
  type: 'request.status_changed',
  requestId: '0b9d3c52-5a0e-4d8a-9c1e-7f2f4b6a1d23',
  sequence: 17,
  state: 'delivered',
  attempts: 1,
  lastStatusCode: 204,
  lastError: null,
  lastAttemptAt: '2026-12-05T10:02:11.000Z',
  deliveredAt: '2026-12-05T10:02:11.000Z',
  createdAt: '2026-12-05T10:02:10.000Z',
};
/** Examples for the document, valid against the schemas above. */
export const WEBHOOK_EXAMPLES = {
  create: { url: WEBHOOK_EXAMPLE.url, events: WEBHOOK_EXAMPLE.events },
  created: { ...WEBHOOK_EXAMPLE, secret: 'whsec_9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c' },
  list: { items: [WEBHOOK_EXAMPLE] },
  delivery: DELIVERY_EXAMPLE,
  deliveries: { items: [DELIVERY_EXAMPLE], nextCursor: null },
};
