import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Context } from '../context.js';
import { answers } from '../dependencies.js';
import { responseHeader, json } from './openapi.js';

const Health = Type.Object({
  status: Type.Enum(['ok', 'unavailable']),
  checks: Type.Optional(Type.Record(Type.String(), Type.Enum(['ok', 'failing']))),
});

/** Each probe gets 2 s; both run at once, so /readyz answers within about that. */
async function check(probe: () => Promise<unknown>): Promise<'ok' | 'failing'> {
  return (await answers(probe)) ? 'ok' : 'failing';
}

export async function healthRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getLiveness',
        tags: ['health'],
        summary: 'Liveness',
        description: 'The process answers; it checks nothing else.',
        security: [],
        response: { 200: json(Health, 'Alive', { example: { status: 'ok' } }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['health'],
        summary: 'Readiness: Postgres and Redis answer',
        description: 'Each dependency gets 2 s; a load balancer sends no calls while this is 503.',
        security: [],
        response: {
          200: json(Health, 'Ready', { example: { status: 'ok', checks: { postgres: 'ok', redis: 'ok' } } }),
          503: json(Health, 'Not ready: the failing dependency is named', {
            example: { status: 'unavailable', checks: { postgres: 'ok', redis: 'failing' } },
            headers: { 'Retry-After': responseHeader.retryAfter },
          }),
        },
      },
    },
    async (_request, reply) => {
      const [postgres, redis] = await Promise.all([check(() => ctx.database.sql`select 1`), check(() => ctx.redis.ping())]);
      const checks = { postgres, redis };
      const ok = postgres === 'ok' && redis === 'ok';
      // A load balancer or client waits this long before asking again (as after the API's 503s).
      if (!ok) reply.header('retry-after', String(ctx.config.retryAfterSeconds));
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
    },
  );
}
