import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { empty, json, problems, withExample } from '../http/openapi.js';
import type { ApiKeyService } from './api-keys.js';
import { actorOf } from './principal.js';
import { ApiKeyList, ApiKeyParams, CreateApiKeyBody, CreatedApiKey, KEY_EXAMPLES } from './schemas.js';

/** Admins mint, list and revoke their tenant's keys. */
export async function apiKeyRoutes(scope: FastifyInstance, keys: ApiKeyService): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ apiKey: [] }];
  const config = { permission: 'keys:manage' } as const;

  app.post(
    '/api-keys',
    {
      config,
      schema: {
        operationId: 'createApiKey',
        tags: ['keys'],
        summary: 'Mint an API key for an admin or a support agent; the key is shown in this answer only',
        description: 'The key is stored hashed: keep it from this answer, it cannot be read again.',
        security,
        body: withExample(CreateApiKeyBody, KEY_EXAMPLES.create),
        response: { 201: json(CreatedApiKey, 'The new key, with the key itself', { example: KEY_EXAMPLES.created }) },
      },
    },
    async (request, reply) => reply.code(201).send(await keys.createView(request.tenantId, request.body.name, request.body.role, actorOf(request.principal, request.ip))),
  );

  app.get(
    '/api-keys',
    {
      config,
      schema: {
        operationId: 'listApiKeys',
        tags: ['keys'],
        summary: "The tenant's live keys: prefix, name, role, when created and last used (never the key)",
        description: 'Revoked keys are not listed.',
        security,
        response: { 200: json(ApiKeyList, 'The keys', { example: KEY_EXAMPLES.list }) },
      },
    },
    async (request) => keys.list(request.tenantId),
  );

  app.delete(
    '/api-keys/:id',
    {
      config,
      schema: {
        operationId: 'revokeApiKey',
        tags: ['keys'],
        summary: 'Revoke a key: calls with it answer 401',
        description:
          'For good: at once on the API host that answers this call, and within AUTH_CACHE_MS (5 s by default) on the ' +
          "deployment's other API hosts, which remember a key they checked briefly. The audit trail keeps who revoked it.",
        security,
        params: ApiKeyParams,
        response: { 204: empty('Revoked'), ...problems(404) },
      },
    },
    async (request, reply) => {
      await keys.revoke(request.tenantId, request.params.id, actorOf(request.principal, request.ip));
      return reply.code(204).send(null);
    },
  );
}
