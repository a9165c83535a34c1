import { and, asc, desc, eq, gte, lt, sql, type Column, type Placeholder, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { Actor } from '../auth/principal.js';
import { badRequest } from '../errors.js';
import { auditEvents, type AuditEventRow } from './tables.js';
import type { AuditEventView, AuditList, AuditQuery } from './schemas.js';
import { webhookEventOf } from '../webhooks/events.js';
import { deliveriesOf, withDeliveries } from '../webhooks/outbox.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** One event of the trail. A request's event may leave its tenant out: it is the request's tenant. */
export type AuditEvent = {
  kind: string;
  actor: Actor;
  feature?: string | undefined;
  /** Never personal data: ids, counts, reasons. */
  detail?: Record<string, unknown> | undefined;
} & ({ requestId: string; tenantId?: string } | { requestId?: undefined; tenantId: string });

/** Records and reads the audit trail. Recording inside a caller's transaction: `new AuditTrail(tx)`. */
export class AuditTrail {
  constructor(private readonly db: Db | Tx) {}

  async record(event: AuditEvent): Promise<void> {
    const { kind, actor, feature, detail, requestId } = event;
    const tenantId = event.tenantId ?? sql<string>`(select tenant_id from requests where id = ${requestId})`;
    const insert = this.db.insert(auditEvents).values({
      tenantId,
      requestId,
      kind,
      feature,
      detail,
      actorType: actor.type,
      actorId: actor.id,
      actorName: actor.name,
      actorIp: actor.ip,
    });
    // A request's event that webhooks deliver is written with its deliveries (the outbox).
    const type = requestId === undefined ? undefined : webhookEventOf(kind);
    if (!requestId || !type) await insert;
    else await this.db.execute(withDeliveries(insert.returning({ id: auditEvents.id, tenantId: auditEvents.tenantId, requestId: auditEvents.requestId }).getSQL(), type));
  }

  /**
   * One event for each row of `moved` (a CTE of rows with a `request_id`, e.g. tasks an UPDATE moved), as
   * CTEs to run in the same statement: an event is written if and only if its row moved, in one round
   * trip. An event that webhooks deliver is written with its deliveries (the outbox). Any value but the
   * kind may be a placeholder, for a statement prepared once and run many times.
   */
  eventsOf(
    moved: SQLWrapper,
    event: {
      kind: string;
      actor: { [K in keyof Actor]: Actor[K] | Placeholder };
      feature?: string | Placeholder | undefined;
      detail?: Record<string, unknown> | Placeholder | undefined;
      /** The rows' tenant, when they are of one tenant known beforehand: a request written in the same statement is not yet there to be read. */
      tenantId?: string | Placeholder | undefined;
    },
  ) {
    const { kind, actor, feature, detail } = event;
    const value = (v: unknown, column: Column) => sql.param(v ?? null, column);
    const tenantId = event.tenantId === undefined ? sql`(select tenant_id from requests where id = m.request_id)` : value(event.tenantId, auditEvents.tenantId);
    const recorded = this.db.$with('recorded', {}).as(sql`insert into ${auditEvents} (tenant_id, request_id, kind, feature, detail, actor_type, actor_id, actor_name, actor_ip)
      select ${tenantId}, m.request_id, ${value(kind, auditEvents.kind)}, ${value(feature, auditEvents.feature)},
        ${value(detail, auditEvents.detail)}::jsonb, ${value(actor.type, auditEvents.actorType)}, ${value(actor.id, auditEvents.actorId)},
        ${value(actor.name, auditEvents.actorName)}, ${value(actor.ip, auditEvents.actorIp)}
      from ${moved} m
      returning id, tenant_id, request_id`);
    const type = webhookEventOf(kind);
    return type ? [recorded, this.db.$with('delivered', {}).as(deliveriesOf(recorded, type))] : [recorded];
  }

  /** A request's events, oldest first. */
  async ofRequest(requestId: string): Promise<AuditEventRow[]> {
    return this.db.select().from(auditEvents).where(eq(auditEvents.requestId, requestId)).orderBy(asc(auditEvents.id));
  }

  /** The tenant's trail, newest first, a page at a time. */
  async list(tenantId: string, query: AuditQuery): Promise<AuditList> {
    const conditions: SQL[] = [eq(auditEvents.tenantId, tenantId)];
    if (query.kind) conditions.push(eq(auditEvents.kind, query.kind));
    if (query.actorType) conditions.push(eq(auditEvents.actorType, query.actorType));
    if (query.actorId) conditions.push(eq(auditEvents.actorId, query.actorId));
    if (query.requestId) conditions.push(eq(auditEvents.requestId, query.requestId));
    if (query.from) conditions.push(gte(auditEvents.at, new Date(query.from)));
    if (query.to) conditions.push(lt(auditEvents.at, new Date(query.to)));
    if (query.cursor) conditions.push(lt(auditEvents.id, decodeCursor(query.cursor)));
    const rows = await this.db
      .select()
      .from(auditEvents)
      .where(and(...conditions))
      .orderBy(desc(auditEvents.id))
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return { items: page.map(eventView), nextCursor: rows.length > query.limit && last ? encodeCursor(last.id) : null };
  }
}

export function eventView(row: AuditEventRow): AuditEventView {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    kind: row.kind,
    ...(row.requestId ? { requestId: row.requestId } : {}),
    ...(row.feature ? { feature: row.feature } : {}),
    actor: { type: row.actorType, id: row.actorId, name: row.actorName, ip: row.actorIp },
    ...(row.detail ? { detail: row.detail } : {}),
  };
}

function encodeCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const id = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(id) || id < 1) {
    throw badRequest('Invalid cursor', [{ field: '/cursor', message: 'not a cursor returned by this API' }]);
  }
  return id;
}
