import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyService } from './api-keys.js';
import { unauthorized } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant of the caller's API key; every /v1 query is scoped to it. */
    tenantId: string;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{8,512})$/;

/** Every route registered in `scope` needs `Authorization: Bearer <api key>`. */
export function requireApiKey(scope: FastifyInstance, keys: ApiKeyService): void {
  scope.decorateRequest('tenantId', '');
  scope.addHook('onRequest', async (request: FastifyRequest) => {
    const match = BEARER.exec(request.headers.authorization ?? '');
    const tenantId = match?.[1] ? await keys.tenantOf(match[1]) : undefined;
    if (!tenantId) throw unauthorized();
    request.tenantId = tenantId;
  });
}
