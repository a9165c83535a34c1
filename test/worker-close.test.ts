import t from 'tap';
import { auth, createRequest, startSystem, VERIFIED, waitForEnd } from './helper.js';
import { blackHole, tcpProxy } from './fixtures/outage.js';
import { until } from './fixtures/reconcile.js';
import { readTestServices } from './setup/services.js';
import { startWorker } from '../src/worker/worker.js';

const FEATURES = ['clock-in', 'im'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ioredis never ends a connection closed between two reconnection attempts, and BullMQ's close waits
// for that end (bullmq#4656): a worker closed while Redis is down must not wait for Redis.
t.test('Redis down: the worker closes within a bound, and what it had not done is done once Redis is back', async (t) => {
  const redis = await tcpProxy(t, readTestServices().redisUrl);
  const sys = await startSystem(t, { RECONCILE_INTERVAL_MS: '250', CLAIM_RENEW_MS: '1000', SHUTDOWN_GRACE_MS: '4000' }, { redisUrl: redis.url });
  // Connected and working before the outage.
  t.equal((await waitForEnd(sys, (await createRequest(sys, { type: 'access', subject: { accountId: 'carol' }, features: FEATURES })).id)).status, 'completed');
  await redis.cut();
  const payload = { type: 'access', subject: { accountId: 'alice' }, features: FEATURES, verification: VERIFIED };
  const created = (await sys.app.inject({ method: 'POST', url: '/v1/requests', headers: auth(sys.keys.acme), payload })).json();
  t.equal(created.status, 'received', 'taken while Redis is down');
  await sleep(1_500);

  const since = Date.now();
  const closed = await Promise.race([sys.worker.close().then(() => true), sleep(15_000).then(() => false)]);
  const took = Date.now() - since;
  t.ok(closed, `the worker closed (${took} ms)`);
  // Half of SHUTDOWN_GRACE_MS for running jobs, then at most one connection attempt.
  t.ok(took < 2_000 + 5_000, 'within the grace and a connection attempt');

  await redis.restore();
  const worker = startWorker(sys.ctx);
  t.teardown(() => worker.close());
  t.equal((await waitForEnd(sys, created.id)).status, 'completed', 'a new worker finishes it once Redis is back');
});

t.test('Redis down with a job running: the worker closes after the grace, and the request ends once Redis is back', async (t) => {
  const redis = await tcpProxy(t, readTestServices().redisUrl);
  const store = await blackHole(t);
  const env = { RECONCILE_INTERVAL_MS: '250', CLAIM_RENEW_MS: '1000', SHUTDOWN_GRACE_MS: '4000', TASK_TIMEOUT_MS: '20000' };
  const sys = await startSystem(t, { ...env, FEATURE_DATABASE_URL_IM: `postgres://dsar:dsar@127.0.0.1:${store.port}/feature` }, { redisUrl: redis.url });
  const created = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: FEATURES });
  // Its im task runs, waiting on a store that never answers.
  await until(async () => (await sys.ctx.repo.tasksOf(created.id)).some((task) => task.feature === 'im' && task.status === 'running'));
  await redis.cut();

  const since = Date.now();
  const closed = await Promise.race([sys.worker.close().then(() => true), sleep(15_000).then(() => false)]);
  const took = Date.now() - since;
  t.ok(closed, `the worker closed (${took} ms)`);
  t.ok(took >= 2_000 - 100 && took < 2_000 + 5_000, 'after the grace for the running job, within a connection attempt');

  await store.close();
  await redis.restore();
  const worker = startWorker(sys.ctx);
  t.teardown(() => worker.close());
  const done = await waitForEnd(sys, created.id, sys.keys.acme, 120_000);
  t.equal(done.status, 'partially_completed', 'ended once Redis is back: nothing lost');
});
