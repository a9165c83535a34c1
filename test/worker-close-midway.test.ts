import t from 'tap';
import { createRequest, startSystem } from './helper.js';
import { blackHole, tcpProxy } from './fixtures/outage.js';
import { until } from './fixtures/reconcile.js';
import { readTestServices } from './setup/services.js';

const FEATURES = ['clock-in', 'im'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A worker's close begun with Redis up waits for Redis (BullMQ's does); when Redis goes meanwhile, the
// close goes on without it, within the same bound as a close begun with Redis down (worker-close.test.ts).
t.test('Redis lost while the worker closes: the close ends within a bound all the same', async (t) => {
  const redis = await tcpProxy(t, readTestServices().redisUrl);
  const store = await blackHole(t);
  const env = { RECONCILE_INTERVAL_MS: '250', CLAIM_RENEW_MS: '1000', SHUTDOWN_GRACE_MS: '4000', TASK_TIMEOUT_MS: '12000' };
  const sys = await startSystem(t, { ...env, FEATURE_DATABASE_URL_IM: `postgres://dsar:dsar@127.0.0.1:${store.port}/feature` }, { redisUrl: redis.url });
  const created = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: FEATURES });
  await until(async () => (await sys.ctx.repo.tasksOf(created.id)).some((task) => task.feature === 'im' && task.status === 'running'));

  // Begun with Redis up, the close waits for the running job; Redis goes while it waits.
  const since = Date.now();
  const closing = sys.worker.close().then(() => true);
  await sleep(500);
  await redis.cut();
  const closed = await Promise.race([closing, sleep(20_000).then(() => false)]);
  const took = Date.now() - since;
  t.ok(closed, `the worker closed (${took} ms)`);
  t.ok(took < 500 + 2_000 + 5_000, 'within the grace for the running job and a connection attempt after Redis went');
  // The job is left active in Redis: worker-close.test.ts follows such a job to its request's end.
});
