import type { FastifyInstance } from 'fastify';
import { Queue } from 'bullmq';
import type { Context } from '../context.js';
import { FLOW_QUEUES } from '../queue/flow.js';
import { instrumentHttp, metricsRoutes } from './routes.js';
import { queueDashboard } from './queue-dashboard.js';

/**
 * What the API offers the deployment's operators, outside /v1: its metrics (with the state of the
 * work read at scrape time) and the queue dashboard. Both read the queues of the request flow.
 */
export async function operationsRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  // Opened at first use: a BullMQ queue connects at once, and `dsar openapi` builds the app without Redis.
  let queues: Queue[] | undefined;
  const flowQueues = () =>
    (queues ??= FLOW_QUEUES.map((name) => {
      const queue = new Queue(name, { connection: ctx.redis, prefix: ctx.config.queuePrefix });
      // Errors of the shared connection: /readyz and dsar_metrics_source_up report a Redis that is down.
      queue.on('error', (err) => ctx.log.debug({ queue: name, error: err.name }, 'queue connection error'));
      return queue;
    }));
  app.addHook('onClose', async () => {
    await Promise.all((queues ?? []).map((queue) => queue.close()));
  });
  instrumentHttp(app, ctx.metrics);
  ctx.metrics.watchWork({
    requestCounts: () => ctx.repo.countsByTypeAndStatus(ctx.clock()),
    queueCounts: () => Promise.all(flowQueues().map(async (queue) => ({ queue: queue.name, counts: await queue.getJobCounts() }))),
  });
  await metricsRoutes(app, ctx.metrics, ctx.config.metricsToken);
  await queueDashboard(app, { queues: flowQueues, keys: ctx.apiKeys, operatorTenants: ctx.config.operatorTenants });
}
