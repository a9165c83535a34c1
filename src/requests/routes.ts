import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf } from '../auth/principal.js';
import { AuditEventList } from '../audit/schemas.js';
import { Problem } from '../errors.js';
import type { RequestService } from './request-service.js';
import { CreateRequestBody, ListRequestsQuery, RequestIdParams, RequestList, RequestView } from './schemas.js';

/** Thin routes: validate (schemas), authorize (tenant from the key), call the service. */
export async function requestRoutes(scope: FastifyInstance, service: RequestService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];
  const errors = { 400: Problem, 401: Problem, 404: Problem };

  app.post(
    '/requests',
    {
      schema: {
        tags: ['requests'],
        summary: 'Open an access, export or deletion request for one data subject',
        security,
        body: CreateRequestBody,
        response: { 202: RequestView, ...errors, 413: Problem },
      },
    },
    async (request, reply) => {
      const created = await service.create(request.tenantId, request.body, actorOf(request.principal, request.ip));
      return reply.code(202).header('location', `/v1/requests/${created.id}`).send(created);
    },
  );

  app.get(
    '/requests',
    {
      schema: {
        tags: ['requests'],
        summary: "List this tenant's requests, newest first",
        security,
        querystring: ListRequestsQuery,
        response: { 200: RequestList, ...errors },
      },
    },
    async (request) => service.list(request.tenantId, request.query),
  );

  app.get(
    '/requests/:id',
    {
      schema: {
        tags: ['requests'],
        summary: 'A request with one task per feature',
        security,
        params: RequestIdParams,
        response: { 200: RequestView, ...errors },
      },
    },
    async (request) => service.get(request.tenantId, request.params.id),
  );

  app.post(
    '/requests/:id/cancel',
    {
      schema: {
        tags: ['requests'],
        summary: 'Cancel a request that has not ended',
        security,
        params: RequestIdParams,
        response: { 200: RequestView, ...errors, 409: Problem },
      },
    },
    async (request) => service.cancel(request.tenantId, request.params.id, actorOf(request.principal, request.ip)),
  );

  app.get(
    '/requests/:id/events',
    {
      config: { permission: 'requests:read' },
      schema: {
        tags: ['audit'],
        summary: "A request's audit trail, oldest first: what happened, when, by whom and from where",
        security,
        params: RequestIdParams,
        response: { 200: AuditEventList, ...errors },
      },
    },
    async (request) => ({ items: await service.events(request.tenantId, request.params.id) }),
  );
}
