import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { RedisClient } from '../queue/redis.js';
import { AppError } from '../errors.js';
import { declareHeaders, declareProblems, responseHeader } from '../http/openapi.js';

export interface RateLimits {
  /** Calls a minute for each API key. */
  perKey: number;
  /** Calls a minute for each data subject. */
  perSubject: number;
}

/**
 * Calls a minute per API key and per data subject, counted in Redis so that every API host shares
 * the count. Registered after the auth hook: the caller is known when a route's limit is checked.
 */
export async function limitRate(scope: FastifyInstance, redis: RedisClient, nameSpace: string, limits: RateLimits): Promise<void> {
  scope.addHook('onRoute', (route) => {
    declareProblems(route, [429]);
    const counts = { 'X-RateLimit-Limit': responseHeader.rateLimit, 'X-RateLimit-Remaining': responseHeader.rateRemaining, 'X-RateLimit-Reset': responseHeader.rateReset };
    declareHeaders(route, counts, (status) => status.startsWith('2') || status === '429');
  });
  await scope.register(rateLimit, {
    redis,
    nameSpace,
    // Redis down: calls go uncounted rather than refused, so that a request can still be taken (Postgres
    // keeps it `received`; the reconciler enqueues it) and read; the connection fails fast (queue/flow.ts).
    skipOnError: true,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => {
      const p = request.principal;
      return p.kind === 'api_key' ? `key:${p.keyId}` : `subject:${p.tenantId}:${p.subjectId}`;
    },
    max: (request: FastifyRequest) => (request.principal.kind === 'api_key' ? limits.perKey : limits.perSubject),
    errorResponseBuilder: (_request, context) =>
      new AppError(429, 'rate-limited', 'Too many requests', `At most ${context.max} calls a minute; retry in ${context.after}`),
  });
}
