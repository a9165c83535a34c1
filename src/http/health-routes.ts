import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Context } from '../context.js';
import { answers } from '../dependencies.js';

const Health = Type.Object({
  status: Type.Enum(['ok', 'unavailable']),
  checks: Type.Optional(Type.Record(Type.String(), Type.Enum(['ok', 'failing']))),
});

/** Each probe gets 2 s; both run at once, so /readyz answers within about that. */
async function check(probe: () => Promise<unknown>): Promise<'ok' | 'failing'> {
  return (await answers(probe)) ? 'ok' : 'failing';
}

export async function healthRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness', response: { 200: Health } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'Readiness: Postgres and Redis answer', response: { 200: Health, 503: Health } } },
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
