import t from 'tap';
import { Queue } from 'bullmq';
import { createRequest, startSystem, waitForEnd, type TestSystem } from './helper.js';
import { ownRedis, ranOnce, until } from './fixtures/reconcile.js';
import { startWorker } from '../src/worker/worker.js';

// Postgres is the truth, Redis a cache of work: a flush loses no request (the reconciler, src/queue/reconciler.ts).
const redisUrl = await ownRedis(t);
const FEATURES = ['clock-in'];
const ENDED = ['completed', 'partially_completed', 'failed', 'cancelled'];

function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

async function statuses(sys: TestSystem, ids: string[]): Promise<string[]> {
  const rows = await sys.ctx.database.sql<{ status: string }[]>`select status from requests where id in ${sys.ctx.database.sql(ids)}`;
  return rows.map((r) => r.status);
}

t.test('Redis flushed while requests are queued and running: every one completes, nothing runs twice', async (t) => {
  // Every request queued before the worker starts, so that the flush finds some running and most still queued.
  const sys = await startSystem(t, { RECONCILE_INTERVAL_MS: '250', CLAIM_RENEW_MS: '1000' }, { redisUrl, worker: false });
  const subjects = ['alice', 'bob', ...Array.from({ length: 18 }, (_, i) => `subject-${i}`)];
  const ids: string[] = [];
  for (const accountId of subjects) {
    for (const type of ['access', 'export']) ids.push((await createRequest(sys, { type, subject: { accountId }, features: FEATURES })).id);
  }
  t.equal(ids.length, 40);
  const worker = startWorker(sys.ctx);
  t.teardown(() => worker.close());
  await until(async () => (await statuses(sys, ids)).filter((s) => s === 'processing' || ENDED.includes(s)).length >= 6);
  await sys.ctx.redis.flushall();
  const atFlush = tally(await statuses(sys, ids));
  t.comment(`at the flush: ${JSON.stringify(atFlush)}`);
  t.ok(ids.length - (atFlush.completed ?? 0) > 0, 'some requests were still open when Redis lost their jobs');

  const flushedAt = Date.now();
  const ended = await Promise.all(ids.map((id) => waitForEnd(sys, id, sys.keys.acme, 120_000)));
  t.comment(`all ended ${Date.now() - flushedAt} ms after the flush`);
  t.same(tally(ended.map((r) => r.status)), { completed: 40 }, 'every request completed, without a restart');
  for (const id of ids) await ranOnce(t, sys, id, FEATURES);
});

t.test('the schedules are there again after a flush', async (t) => {
  const sys = await startSystem(t, { CLAIM_RENEW_MS: '1000' }, { redisUrl });
  const options = { connection: sys.ctx.redis, prefix: sys.ctx.config.queuePrefix };
  const queues = ['result-expiry', 'retention-purge', 'idempotency-expiry', 'webhook-delivery-retention', 'request-records'].map(
    (name) => new Queue(name, options),
  );
  t.teardown(() => Promise.all(queues.map((q) => q.close())));
  const scheduled = async () => (await Promise.all(queues.map((q) => q.getJobScheduler(q.name)))).every((s) => s !== undefined);
  await until(scheduled);
  await sys.ctx.redis.flushall();
  t.notOk(await scheduled(), 'the flush took them');
  await sys.worker.reconcile();
  t.ok(await scheduled(), 'the reconciler scheduled them again');
  for (const q of queues) t.equal((await q.getJobScheduler(q.name))?.every, 60 * 60 * 1000, `${q.name} every hour`);
});

