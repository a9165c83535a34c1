import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyService } from './api-keys.js';
import { unauthorized } from '../errors.js';
import type { Principal } from './principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant of the caller; every /v1 query is scoped to it. */
    tenantId: string;
    /** Who is calling (set on every /v1 route). */
    principal: Principal;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{8,512})$/;

/** Every route registered in `scope` needs `Authorization: Bearer <api key>`. */
export function requireApiKey(scope: FastifyInstance, keys: ApiKeyService): void {
  scope.decorateRequest('tenantId', '');
  scope.decorateRequest('principal');
  scope.addHook('onRequest', async (request: FastifyRequest) => {
    const match = BEARER.exec(request.headers.authorization ?? '');
    const principal = match?.[1] ? await keys.principalOf(match[1]) : undefined;
    if (!principal) throw unauthorized();
    request.principal = principal;
    request.tenantId = principal.tenantId;
  });
}
