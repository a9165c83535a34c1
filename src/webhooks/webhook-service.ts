import { randomBytes, randomUUID } from 'node:crypto';
import { and, desc, eq, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { AuditTrail } from '../audit/trail.js';
import type { Actor } from '../auth/principal.js';
import { badRequest, notFound } from '../errors.js';
import type { SecretSealer } from '../connectors/secret-sealing.js';
import type { OutboundGuard } from '../outbound/guard.js';
import { webhookDeliveries, webhookEndpoints, type WebhookDeliveryRow, type WebhookEndpointRow } from './tables.js';
import type { CreatedWebhook, CreateWebhookBody, DeliveryList, DeliveryQuery, DeliveryView, WebhookList, WebhookView } from './schemas.js';

/**
 * A tenant's webhook endpoints and their delivery logs (the admin's side). Sending is delivery.ts's.
 * Secrets are generated here, shown once and stored sealed like connector secrets.
 */
export class WebhookService {
  constructor(
    private readonly db: Db,
    private readonly secrets: SecretSealer,
    private readonly outbound: Pick<OutboundGuard, 'admit'>,
  ) {}

  async create(tenantId: string, body: CreateWebhookBody, actor: Actor): Promise<CreatedWebhook> {
    await this.outbound.admit(body.url, '/url');
    const id = randomUUID();
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const row = await this.db.transaction(async (tx) => {
      const [created] = await tx
        .insert(webhookEndpoints)
        .values({ id, tenantId, url: body.url, events: body.events, secret: this.secrets.seal(secret, secretOwner(id)) })
        .returning();
      // The address and the secret stay out of the trail: which endpoint, for what.
      await new AuditTrail(tx).record({ tenantId, kind: 'webhook_created', actor, detail: { webhookId: id, events: body.events } });
      return created!;
    });
    return { ...endpointView(row), secret };
  }

  async list(tenantId: string): Promise<WebhookList> {
    const rows = await this.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.tenantId, tenantId)).orderBy(webhookEndpoints.createdAt);
    return { items: rows.map(endpointView) };
  }

  /** Removes the endpoint with its delivery log; its pending deliveries are not sent. */
  async remove(tenantId: string, id: string, actor: Actor): Promise<void> {
    await this.db.transaction(async (tx) => {
      const deleted = await tx
        .delete(webhookEndpoints)
        .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.tenantId, tenantId)))
        .returning({ id: webhookEndpoints.id });
      if (deleted.length === 0) throw notFound('Webhook');
      await new AuditTrail(tx).record({ tenantId, kind: 'webhook_deleted', actor, detail: { webhookId: id } });
    });
  }

  /** The endpoint's deliveries, newest event first, a page at a time. */
  async deliveries(tenantId: string, id: string, query: DeliveryQuery): Promise<DeliveryList> {
    await this.endpoint(tenantId, id);
    const conditions = [eq(webhookDeliveries.endpointId, id)];
    if (query.cursor) conditions.push(lt(webhookDeliveries.eventId, decodeCursor(query.cursor)));
    const rows = await this.db
      .select()
      .from(webhookDeliveries)
      .where(and(...conditions))
      .orderBy(desc(webhookDeliveries.eventId))
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return { items: page.map(deliveryView), nextCursor: rows.length > query.limit && last ? encodeCursor(last.eventId) : null };
  }

  /** Sends a delivery again, whatever its state: it is pending until the worker has tried it anew. */
  async replay(tenantId: string, id: string, deliveryId: string, actor: Actor): Promise<DeliveryView> {
    await this.endpoint(tenantId, id);
    const [row] = await this.db
      .update(webhookDeliveries)
      .set({ state: 'pending', deliveredAt: null })
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, id)))
      .returning();
    if (!row) throw notFound('Delivery');
    await new AuditTrail(this.db).record({ tenantId, kind: 'webhook_replayed', actor, detail: { webhookId: id, deliveryId } });
    return deliveryView(row);
  }

  private async endpoint(tenantId: string, id: string): Promise<WebhookEndpointRow> {
    const [row] = await this.db
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.tenantId, tenantId)));
    if (!row) throw notFound('Webhook');
    return row;
  }
}

/** The row a sealed webhook secret belongs to: it opens only there (and never as a connector's). */
export function secretOwner(endpointId: string): string {
  return JSON.stringify(['webhook', endpointId]);
}

function endpointView(row: WebhookEndpointRow): WebhookView {
  return { id: row.id, url: row.url, events: row.events, createdAt: row.createdAt.toISOString() };
}

function deliveryView(row: WebhookDeliveryRow): DeliveryView {
  return {
    id: row.id,
    type: row.type,
    requestId: row.requestId,
    sequence: row.eventId,
    state: row.state,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

function encodeCursor(eventId: number): string {
  return Buffer.from(String(eventId)).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const id = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(id) || id < 1) throw badRequest('Invalid cursor', [{ field: '/cursor', message: 'not a cursor returned by this API' }]);
  return id;
}

