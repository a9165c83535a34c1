import t from 'tap';
import { Cluster, Redis } from 'ioredis';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';
import { readTestServices } from './setup/services.js';

// Issue 17 item 4: the deployment on a Redis Cluster (REDIS_CLUSTER=true). The test run's cluster has
// one node holding every slot (test/setup/services-up.ts); it refuses, as a cluster of many nodes does,
// any command or script whose keys are in different slots (CROSSSLOT): what passes here passes where the
// hash-tagged prefix puts the queue's keys on one of many nodes.

t.test('on a Redis Cluster: requests run end to end, and every key of the queue is in one slot', async (t) => {
  const url = readTestServices().redisClusterUrl;
  // Every part that talks to Redis: flows, claims, a feature's slots, the reconciler's lease, admission, webhooks' relay.
  const env = { REDIS_CLUSTER: 'true', RECONCILE_INTERVAL_MS: '250', FEATURE_CONCURRENCY: 'im:1', TENANT_MAX_ACTIVE_REQUESTS: '1' };
  const sys = await startSystem(t, env, { redisUrl: url });
  t.ok(sys.ctx.redis instanceof Cluster, 'the API and worker speak the cluster protocol');

  const access = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' } });
  const exported = await createRequest(sys, { type: 'export', subject: { accountId: 'bob' } });
  t.equal(exported.status, 'received', "the tenant's second request waits for admission");
  for (const created of [access, exported]) {
    const done = await waitForEnd(sys, created.id);
    t.equal(done.status, 'completed', `${created.type} completed`);
    t.equal(done.tasks.length, 19, `${created.type}: a task per feature`);
    t.ok(
      done.tasks.every((task: { status: string }) => task.status === 'completed'),
      `${created.type}: every task completed`,
    );
    const report = await sys.app.inject({ method: 'GET', url: `/v1/requests/${created.id}/report`, headers: auth(sys.keys.acme) });
    t.equal(report.statusCode, 200, `${created.type}: its result is there`);
    t.equal(report.headers['content-type'], 'application/zip', `${created.type}: a zip`);
  }
  t.ok((await sys.worker.reconcile()) >= 0, "the reconciler's pass runs under its lease");

  const node = new Redis(url, { lazyConnect: true });
  t.teardown(() => node.disconnect());
  const prefix = sys.ctx.config.queuePrefix;
  const keys = (await node.keys('*')).filter((key) => key.startsWith(prefix));
  t.ok(keys.length > 10, `the queue's keys are there (${keys.length})`);
  const slots = new Set(await Promise.all(keys.map((key) => node.call('CLUSTER', 'KEYSLOT', key))));
  t.same([...slots], [await node.call('CLUSTER', 'KEYSLOT', prefix)], 'all in the slot of the prefix');
});
