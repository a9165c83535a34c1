import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { AppError } from '../errors.js';
import { content, problem } from '../http/openapi.js';
import type { Metrics } from './metrics.js';

/**
 * GET /metrics for the operator's Prometheus, with `Authorization: Bearer $METRICS_TOKEN` (Prometheus's
 * `authorization.credentials_file`). It tells nothing personal but much about the operation (volumes,
 * queues, routes), so it is not public; without METRICS_TOKEN the deployment serves no metrics.
 */

const BEARER = /^Bearer (\S+)$/;

const noToken = () =>
  new AppError(401, 'unauthorized', 'Unauthorized', 'The metrics token is required: Authorization: Bearer <METRICS_TOKEN>');
const metricsOff = () => new AppError(404, 'not-found', 'Not found', 'Metrics are off: set METRICS_TOKEN to serve them');

/** Compares digests, so neither the time taken nor a length difference says how much of a guess was right. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export async function metricsRoutes(app: FastifyInstance, metrics: Metrics, token: string | undefined): Promise<void> {
  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        tags: ['operations'],
        summary: "Prometheus metrics (text exposition format), for the operator's scraper",
        description: 'Nothing personal, but much about the operation: with the METRICS_TOKEN only.',
        security: [{ metricsToken: [] }],
        response: {
          200: content('The metrics', { 'text/plain': Type.String() }),
          401: problem(401, 'No valid METRICS_TOKEN (WWW-Authenticate: Bearer realm="metrics")'),
          404: problem(404, 'Metrics are off: the deployment has no METRICS_TOKEN'),
        },
      },
    },
    async (request, reply) => {
      if (!token) throw metricsOff();
      const given = BEARER.exec(request.headers.authorization ?? '')?.[1];
      if (!given || !sameSecret(given, token)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw noToken();
      }
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );
}

/** HTTP latency by route template, method and status class: never the URL, which carries ids and tokens. */
export function instrumentHttp(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_class: `${Math.floor(reply.statusCode / 100)}xx`,
      },
      reply.elapsedTime / 1000,
    );
  });
}
