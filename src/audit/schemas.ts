import Type, { type Static } from 'typebox';
import { ACTOR_TYPES } from './tables.js';
import { ref } from '../http/openapi.js';

/** Audit trail API schemas. */

export const ActorView = Type.Object({
  type: Type.Enum([...ACTOR_TYPES]),
  id: Type.Union([Type.String(), Type.Null()], { description: "The key's id or the subject's account id; null for the system" }),
  name: Type.Union([Type.String(), Type.Null()], { description: "The key's name" }),
  ip: Type.Union([Type.String(), Type.Null()]),
});

export const AuditEventView = Type.Object(
  {
    id: Type.String(),
    at: Type.String({ format: 'date-time' }),
    kind: Type.String({ description: 'What happened, e.g. received, approved, extended, result_downloaded, approval_changed' }),
    requestId: Type.Optional(Type.String({ format: 'uuid' })),
    feature: Type.Optional(Type.String()),
    actor: ActorView,
    detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'AuditEvent', description: 'One step of a request, or a change to the tenant' },
);
export type AuditEventView = Static<typeof AuditEventView>;

export const AuditEventList = Type.Object({ items: Type.Array(ref(AuditEventView)) });

export const AuditQuery = Type.Object(
  {
    kind: Type.Optional(Type.String({ maxLength: 100, description: 'Only events of this kind' })),
    actorType: Type.Optional(Type.Enum([...ACTOR_TYPES])),
    actorId: Type.Optional(Type.String({ maxLength: 200, description: 'Only events by this key id or subject account id' })),
    requestId: Type.Optional(Type.String({ format: 'uuid' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Events at or after this time' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Events before this time' })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditList = Type.Object({
  items: Type.Array(ref(AuditEventView)),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type AuditList = Static<typeof AuditList>;

const EVENT_EXAMPLE = {
  id: '1042',
  at: '2026-12-05T10:00:00.000Z',
  kind: 'received',
  requestId: '0b9d3c52-5a0e-4d8a-9c1e-7f2f4b6a1d23',
  actor: { type: 'api_key', id: '6f1c2e0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b', name: 'support team', ip: '203.0.113.7' },
  detail: { type: 'access' },
};
/** Examples for the document, valid against the schemas above. */
export const AUDIT_EXAMPLES = {
  events: { items: [EVENT_EXAMPLE] },
  page: { items: [EVENT_EXAMPLE], nextCursor: 'MTA0Mg' },
};
