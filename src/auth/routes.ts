import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { Problem } from '../errors.js';
import type { ApiKeyService } from './api-keys.js';
import { actorOf } from './principal.js';
import { ApiKeyList, ApiKeyParams, CreateApiKeyBody, CreatedApiKey } from './schemas.js';

/** Admins mint, list and revoke their tenant's keys. */
export async function apiKeyRoutes(scope: FastifyInstance, keys: ApiKeyService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];
  const config = { permission: 'keys:manage' } as const;
  const errors = { 401: Problem, 403: Problem };

  app.post(
    '/api-keys',
    {
      config,
      schema: {
        tags: ['keys'],
        summary: 'Mint an API key for an admin or a support agent; the key is shown in this answer only',
        security,
        body: CreateApiKeyBody,
        response: { 201: CreatedApiKey, ...errors, 400: Problem },
      },
    },
    async (request, reply) => reply.code(201).send(await keys.createView(request.tenantId, request.body.name, request.body.role, actorOf(request.principal, request.ip))),
  );

  app.get(
    '/api-keys',
    {
      config,
      schema: {
        tags: ['keys'],
        summary: "The tenant's live keys: prefix, name, role, when created and last used (never the key)",
        security,
        response: { 200: ApiKeyList, ...errors },
      },
    },
    async (request) => keys.list(request.tenantId),
  );

  app.delete(
    '/api-keys/:id',
    {
      config,
      schema: {
        tags: ['keys'],
        summary: 'Revoke a key: its next call answers 401',
        security,
        params: ApiKeyParams,
        response: { 204: Type.Null(), ...errors, 404: Problem },
      },
    },
    async (request, reply) => {
      await keys.revoke(request.tenantId, request.params.id, actorOf(request.principal, request.ip));
      return reply.code(204).send(null);
    },
  );
}
