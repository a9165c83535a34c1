import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Context } from '../context.js';
import { registerProblemHandlers } from '../http/problems.js';
import { metricsRoutes } from './routes.js';

/**
 * A worker without the API in its process (`dsar worker`) serves its own /metrics, with the same
 * token, on WORKER_METRICS_PORT: the job durations and retries are counted where the jobs run, and
 * Prometheus scrapes every worker as it scrapes every API host. (Read from Postgres instead, task
 * durations would cost a scan of every task at each scrape and lose the failed attempts.)
 */
export async function serveWorkerMetrics(ctx: Context): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: ctx.log as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
  registerProblemHandlers(app, ctx.config.retryAfterSeconds);
  await metricsRoutes(app, ctx.metrics, ctx.config.metricsToken);
  await app.listen({ port: ctx.config.workerMetricsPort, host: ctx.config.host });
  return app;
}
