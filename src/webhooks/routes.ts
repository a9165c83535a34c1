import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { empty, responseHeader, json, problems, ref, withExample } from '../http/openapi.js';
import { actorOf } from '../auth/principal.js';
import type { WebhookService } from './webhook-service.js';
import { CreatedWebhook, CreateWebhookBody, DeliveryList, DeliveryParams, DeliveryQuery, DeliveryView, WEBHOOK_EXAMPLES, WebhookList, WebhookParams } from './schemas.js';

/** Admins register their tenant's webhook endpoints, read each one's delivery log and replay a delivery. */
export async function webhookRoutes(scope: FastifyInstance, webhooks: WebhookService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];
  const config = { permission: 'webhooks:manage' } as const;
  const tags = ['webhooks'];

  app.post(
    '/webhooks',
    {
      config,
      schema: {
        operationId: 'createWebhook',
        tags,
        summary: 'Register an endpoint for request events; its signing secret is shown in this answer only',
        description: 'The URL must be https and resolve to public addresses only (OUTBOUND_ALLOW_HOSTS aside): anything else answers 400.',
        security,
        body: withExample(CreateWebhookBody, WEBHOOK_EXAMPLES.create),
        response: { 201: json(CreatedWebhook, 'The endpoint, with its signing secret', { example: WEBHOOK_EXAMPLES.created }) },
      },
    },
    async (request, reply) => reply.code(201).send(await webhooks.create(request.tenantId, request.body, actorOf(request.principal, request.ip))),
  );

  app.get(
    '/webhooks',
    {
      config,
      schema: {
        operationId: 'listWebhooks',
        tags,
        summary: "The tenant's webhook endpoints (never their secrets)",
        description: 'Each endpoint with the events it gets.',
        security,
        response: { 200: json(WebhookList, 'The endpoints', { example: WEBHOOK_EXAMPLES.list }) },
      },
    },
    async (request) => webhooks.list(request.tenantId),
  );

  app.delete(
    '/webhooks/:id',
    {
      config,
      schema: {
        operationId: 'deleteWebhook',
        tags,
        summary: 'Remove an endpoint with its delivery log; nothing more is sent to it',
        description: 'Its delivery log goes with it; the audit trail keeps who removed it.',
        security,
        params: WebhookParams,
        response: { 204: empty('Removed'), ...problems(404) },
      },
    },
    async (request, reply) => {
      await webhooks.remove(request.tenantId, request.params.id, actorOf(request.principal, request.ip));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config,
      schema: {
        operationId: 'listWebhookDeliveries',
        tags,
        summary: "The endpoint's delivery log, newest event first: state, attempts, last status code and error kind",
        description: 'A page at a time (`nextCursor`, and a `Link` header to the next page).',
        security,
        params: WebhookParams,
        querystring: DeliveryQuery,
        response: { 200: json(DeliveryList, 'A page of deliveries', { example: WEBHOOK_EXAMPLES.deliveries, headers: { Link: responseHeader.link } }) },
      },
    },
    async (request) => webhooks.deliveries(request.tenantId, request.params.id, request.query),
  );

  app.post(
    '/webhooks/:id/deliveries/:deliveryId/replay',
    {
      config,
      schema: {
        operationId: 'replayWebhookDelivery',
        tags,
        summary: 'Send a delivery again (a failed one, or any): the same payload, with a fresh signature',
        description: 'The delivery is queued to be sent again; its entry in the log shows the outcome.',
        security,
        params: DeliveryParams,
        response: { 202: json(ref(DeliveryView), 'The delivery, queued again', { example: WEBHOOK_EXAMPLES.delivery }) },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await webhooks.replay(request.tenantId, request.params.id, request.params.deliveryId, actorOf(request.principal, request.ip))),
  );
}
