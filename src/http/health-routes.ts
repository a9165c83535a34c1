import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Context } from '../context.js';

const Health = Type.Object({
  status: Type.Enum(['ok', 'unavailable']),
  checks: Type.Optional(Type.Record(Type.String(), Type.Enum(['ok', 'failing']))),
});

async function check(probe: () => Promise<unknown>): Promise<'ok' | 'failing'> {
  try {
    await Promise.race([probe(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())]);
    return 'ok';
  } catch {
    return 'failing';
  }
}

export async function healthRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness', response: { 200: Health } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'Readiness: Postgres and Redis answer', response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      const checks = {
        postgres: await check(() => ctx.database.sql`select 1`),
        redis: await check(() => ctx.redis.ping()),
      };
      const ok = Object.values(checks).every((c) => c === 'ok');
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
    },
  );
}
