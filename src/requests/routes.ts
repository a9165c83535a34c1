import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Problem } from '../errors.js';
import type { RequestService } from './request-service.js';
import { CreateRequestBody, ListRequestsQuery, RequestIdParams, RequestList, RequestView } from './schemas.js';

/** Thin routes: validate (schemas), authorize (config.permission, auth/hook.ts), call the service. */
export async function requestRoutes(scope: FastifyInstance, service: RequestService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];
  const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };

  app.post(
    '/requests',
    {
      config: { permission: 'requests:create' },
      schema: {
        tags: ['requests'],
        summary: 'Open an access, export or deletion request for one data subject',
        security,
        body: CreateRequestBody,
        response: { 202: RequestView, ...errors, 413: Problem, 422: Problem },
      },
    },
    async (request, reply) => {
      const created = await service.create(request.principal, request.body);
      return reply.code(202).header('location', `/v1/requests/${created.id}`).send(created);
    },
  );

  app.get(
    '/requests',
    {
      config: { permission: 'requests:read' },
      schema: {
        tags: ['requests'],
        summary: "List this tenant's requests, newest first",
        security,
        querystring: ListRequestsQuery,
        response: { 200: RequestList, ...errors },
      },
    },
    async (request) => service.list(request.principal, request.query),
  );

  app.get(
    '/requests/:id',
    {
      config: { permission: 'requests:read' },
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
      config: { permission: 'requests:cancel' },
      schema: {
        tags: ['requests'],
        summary: 'Cancel a request that has not ended',
        security,
        params: RequestIdParams,
        response: { 200: RequestView, ...errors, 409: Problem },
      },
    },
    async (request) => service.cancel(request.tenantId, request.params.id),
  );
}
