import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KEY_PREFIX, type ApiKeyService } from './api-keys.js';
import type { SubjectTokens } from './subject-tokens.js';
import { notFound, unauthorized } from '../errors.js';
import { forbidden, isPermission, ROLE_PERMISSIONS } from './permissions.js';
import type { Principal } from './principal.js';
import { declareProblems } from '../http/openapi.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant of the caller; every /v1 query is scoped to it. */
    tenantId: string;
    /** Who is calling (set on every /v1 route). */
    principal: Principal;
  }
}

export interface Authentication {
  keys: ApiKeyService;
  subjects: SubjectTokens;
  /** The account a request of the tenant is about, or undefined when the tenant has no such request. */
  subjectOfRequest(tenantId: string, requestId: string): Promise<string | undefined>;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{8,4096})$/;
/** Routes about one request: a subject reaches them for their own requests only. */
const REQUEST_ROUTE = /\/requests\/:id(\/|$)/;

/**
 * Every route registered in `scope` needs `Authorization: Bearer <API key or subject token>` and
 * declares the permission it needs (`config: { permission }`); a route without one fails at start-up.
 */
export function requireAuth(scope: FastifyInstance, auth: Authentication): void {
  scope.decorateRequest('tenantId', '');
  scope.decorateRequest('principal');
  scope.addHook('onRoute', (route) => {
    const permission = route.config?.permission;
    if (!isPermission(permission)) throw new Error(`${route.method} ${route.url} declares no permission`);
    // What the sign-in answers (it reads Postgres), and 403 where some role lacks the permission.
    const everyRole = Object.values(ROLE_PERMISSIONS).every((held) => held.has(permission));
    declareProblems(route, everyRole ? [401, 503] : [401, 403, 503]);
  });
  scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = await authenticate(request, reply, auth);
    // Every route of the scope names one (onRoute above).
    const { permission } = request.routeOptions.config;
    if (permission && !ROLE_PERMISSIONS[principal.role].has(permission)) throw forbidden(permission);
    request.principal = principal;
    request.tenantId = principal.tenantId;
  });
  // After validation, so the id is well formed. Another subject's request is as unknown as another tenant's.
  scope.addHook('preHandler', async (request: FastifyRequest) => {
    const { principal } = request;
    if (principal.kind !== 'subject' || !REQUEST_ROUTE.test(request.routeOptions.url ?? '')) return;
    const { id } = request.params as { id: string };
    if ((await auth.subjectOfRequest(principal.tenantId, id)) !== principal.subjectId) throw notFound('Request');
  });
}

/** API keys start with `dsar_`; anything else is taken for a subject's token. */
async function authenticate(request: FastifyRequest, reply: FastifyReply, auth: Authentication): Promise<Principal> {
  const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
  const principal = !token
    ? undefined
    : token.startsWith(KEY_PREFIX)
      ? await auth.keys.principalOf(token)
      : await auth.subjects.principalOf(token);
  if (principal) return principal;
  reply.header('www-authenticate', token ? 'Bearer error="invalid_token"' : 'Bearer');
  throw unauthorized();
}
