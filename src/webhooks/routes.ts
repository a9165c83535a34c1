import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { Problem } from '../errors.js';
import { actorOf } from '../auth/principal.js';
import type { WebhookService } from './webhook-service.js';
import { CreatedWebhook, CreateWebhookBody, DeliveryList, DeliveryParams, DeliveryQuery, DeliveryView, WebhookList, WebhookParams } from './schemas.js';

/** Admins register their tenant's webhook endpoints, read each one's delivery log and replay a delivery. */
export async function webhookRoutes(scope: FastifyInstance, webhooks: WebhookService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];
  const config = { permission: 'webhooks:manage' } as const;
  const tags = ['webhooks'];
  const errors = { 401: Problem, 403: Problem };

  app.post(
    '/webhooks',
    {
      config,
      schema: {
        tags,
        summary: 'Register an endpoint for request events; its signing secret is shown in this answer only',
        description: 'The URL must be https and resolve to public addresses only (OUTBOUND_ALLOW_HOSTS aside): anything else answers 400.',
        security,
        body: CreateWebhookBody,
        response: { 201: CreatedWebhook, ...errors, 400: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await webhooks.create(request.tenantId, request.body, actorOf(request.principal, request.ip))),
  );

  app.get(
    '/webhooks',
    { config, schema: { tags, summary: "The tenant's webhook endpoints (never their secrets)", security, response: { 200: WebhookList, ...errors } } },
    async (request) => webhooks.list(request.tenantId),
  );

  app.delete(
    '/webhooks/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Remove an endpoint with its delivery log; nothing more is sent to it',
        security,
        params: WebhookParams,
        response: { 204: Type.Null(), ...errors, 404: Problem },
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
        tags,
        summary: "The endpoint's delivery log, newest event first: state, attempts, last status code and error kind",
        security,
        params: WebhookParams,
        querystring: DeliveryQuery,
        response: { 200: DeliveryList, ...errors, 400: Problem, 404: Problem },
      },
    },
    async (request) => webhooks.deliveries(request.tenantId, request.params.id, request.query),
  );

  app.post(
    '/webhooks/:id/deliveries/:deliveryId/replay',
    {
      config,
      schema: {
        tags,
        summary: 'Send a delivery again (a failed one, or any): the same payload, with a fresh signature',
        security,
        params: DeliveryParams,
        response: { 202: DeliveryView, ...errors, 404: Problem },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await webhooks.replay(request.tenantId, request.params.id, request.params.deliveryId, actorOf(request.principal, request.ip))),
  );
}
