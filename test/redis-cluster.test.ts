import t, { type Test } from 'tap';
import { execFile as execFileCb } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';
import { until } from './fixtures/reconcile.js';
import { freePort } from '../src/embedded/ports.js';
import { stopLocalRedis } from '../src/embedded/redis.js';

// Issue 17 item 4: the deployment on a Redis Cluster (REDIS_CLUSTER=true). A cluster of one node holding
// every slot refuses, as a real cluster does, any command or script whose keys are in different slots
// (CROSSSLOT): what passes here passes on a cluster of many nodes, where the hash-tagged prefix puts the
// queue's keys on one of them.

const execFile = promisify(execFileCb);

async function startClusterNode(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dsar-cluster-'));
  const port = await freePort();
  // biome-ignore format: one flag and its value a line
  await execFile('redis-server', [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--daemonize', 'yes',
    '--pidfile', path.join(dir, 'redis.pid'),
    '--logfile', path.join(dir, 'redis.log'),
    '--dir', dir,
    '--cluster-enabled', 'yes',
    '--cluster-config-file', path.join(dir, 'nodes.conf'),
    // Alone, a node names itself with no address in CLUSTER SLOTS, where clients learn where to connect.
    '--cluster-announce-ip', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
  ]);
  t.teardown(async () => {
    await stopLocalRedis(dir);
    await rm(dir, { recursive: true, force: true });
  });
  const admin = new Redis(port, '127.0.0.1', { lazyConnect: true });
  t.teardown(() => admin.disconnect());
  await until(async () => (await admin.ping().catch(() => '')) === 'PONG');
  await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
  await until(async () => String(await admin.call('CLUSTER', 'INFO')).includes('cluster_state:ok'));
  return `redis://127.0.0.1:${port}`;
}

t.test('on a Redis Cluster: requests run end to end, and every key of the queue is in one slot', async (t) => {
  const url = await startClusterNode(t);
  // Every part that talks to Redis: flows, claims, a feature's slots, the reconciler's lease, admission, webhooks' relay.
  const sys = await startSystem(t, { REDIS_CLUSTER: 'true', RECONCILE_INTERVAL_MS: '250', FEATURE_CONCURRENCY: 'im:1', TENANT_MAX_ACTIVE_REQUESTS: '1' }, { redisUrl: url });
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
