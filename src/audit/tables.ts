import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tables.js';

export const ACTOR_TYPES = ['api_key', 'subject', 'system'] as const;

/**
 * The audit trail: every step of a request and every change to a tenant's keys and configuration,
 * with who did it and from where. Append-only in the database itself (a trigger refuses UPDATE,
 * and DELETE of any event younger than 24 months: drizzle/*_audit_events_append_only.sql). A request's
 * events name it without a foreign key, so they outlive the request row and its results.
 * Details never hold personal data.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    /** The request the event belongs to; null for a tenant-level event (a key or a setting changed). */
    requestId: uuid('request_id'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    kind: text('kind').notNull(),
    feature: text('feature'),
    actorType: text('actor_type', { enum: ACTOR_TYPES }).notNull(),
    /** The key's id or the subject's account id; null for the system. */
    actorId: text('actor_id'),
    actorName: text('actor_name'),
    actorIp: text('actor_ip'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
  },
  (t) => [
    index('audit_events_request_idx').on(t.requestId, t.id),
    index('audit_events_tenant_idx').on(t.tenantId, t.id),
  ],
);

export type AuditEventRow = typeof auditEvents.$inferSelect;
