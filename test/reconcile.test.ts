import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { createRequest, startSystem, waitForEnd, type TestSystem } from './helper.js';
import { catalogue } from '../src/catalogue/catalogue.js';
import { freePort } from '../src/embedded/ports.js';
import { startLocalRedis } from '../src/embedded/redis.js';
import { JobClaims } from '../src/queue/claims.js';
import { ASSEMBLY_QUEUE, FEATURE_QUEUE, featureJobId } from '../src/queue/flow.js';
import { LOST_AFTER_MS, Reconciler } from '../src/queue/reconciler.js';
import { startWorker } from '../src/worker/worker.js';

// Postgres is the truth, Redis a cache of work: whatever Redis loses, every request ends as it would have.
// This file flushes Redis, so it runs its own (without persistence, as a Redis restarted from nothing).
const redisDir = await mkdtemp(path.join(os.tmpdir(), 'dsar-reconcile-redis-'));
const redis = await startLocalRedis({ dir: redisDir, port: await freePort(), persist: false });
t.teardown(async () => {
  await redis.stop();
  await rm(redisDir, { recursive: true, force: true });
});
const FEATURES = ['clock-in', 'im'];
const ENDED = ['completed', 'partially_completed', 'failed', 'cancelled'];

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

async function statuses(sys: TestSystem, ids: string[]): Promise<string[]> {
  const rows = await sys.ctx.database.sql<{ status: string }[]>`select status from requests where id in ${sys.ctx.database.sql(ids)}`;
  return rows.map((r) => r.status);
}

/** Each task started once, completed once; the request completed once. */
async function ranOnce(t: Test, sys: TestSystem, id: string, features: string[]) {
  const events = await sys.ctx.repo.events(id);
  const kinds = (kind: string, feature?: string) => events.filter((e) => e.kind === kind && (feature === undefined || e.feature === feature)).length;
  for (const feature of features) {
    t.equal(kinds('task_started', feature), 1, `${feature} started once`);
    t.equal(kinds('task_completed', feature), 1, `${feature} completed once`);
  }
  t.equal(kinds('completed'), 1, 'the request completed once');
}

/** A request as a crash would leave it: in Postgres, with tasks in the given statuses, and nothing in Redis. */
async function insertRequest(sys: TestSystem, status: string, account: string, tasks: Record<string, string>): Promise<string> {
  const sql = sys.ctx.database.sql;
  const [row] = await sql<{ id: string }[]>`insert into requests (tenant_id, type, status, subject_account_id, features, catalogue_version, due_at)
    values ('acme', 'access', ${status}, ${account}, ${sql.array(Object.keys(tasks))}, ${catalogue.version}, now() + interval '30 days')
    returning id::text`;
  for (const [feature, taskStatus] of Object.entries(tasks)) {
    await sql`insert into tasks (request_id, feature, status, started_at) values (${row!.id}, ${feature}, ${taskStatus}, now())`;
  }
  return row!.id;
}

t.test('Redis flushed while requests are queued and running: every one completes, nothing runs twice', async (t) => {
  // Every request queued before the worker starts, so that the flush finds some running and most still queued.
  const sys = await startSystem(t, { RECONCILE_INTERVAL_MS: '250' }, { redisUrl: redis.url, worker: false });
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
  const sys = await startSystem(t, {}, { redisUrl: redis.url });
  const options = { connection: sys.ctx.redis, prefix: sys.ctx.config.queuePrefix };
  const queues = ['result-expiry', 'retention-purge'].map((name) => new Queue(name, options));
  t.teardown(() => Promise.all(queues.map((q) => q.close())));
  const scheduled = async () => (await Promise.all(queues.map((q) => q.getJobScheduler(q.name)))).every((s) => s !== undefined);
  await until(scheduled);
  await sys.ctx.redis.flushall();
  t.notOk(await scheduled(), 'the flush took them');
  await sys.worker.reconcile();
  t.ok(await scheduled(), 'the reconciler scheduled them again');
  for (const q of queues) t.equal((await q.getJobScheduler(q.name))?.every, 60 * 60 * 1000, `${q.name} every hour`);
});

t.test('a request whose jobs are intact is not enqueued twice; a lost child is added to its flow', async (t) => {
  const sys = await startSystem(t, {}, { redisUrl: redis.url, worker: false });
  const { ctx } = sys;
  const reconciler = new Reconciler({ ...ctx, claims: new JobClaims(ctx.redis, ctx.config.queuePrefix), schedules: [] });
  const options = { connection: ctx.redis, prefix: ctx.config.queuePrefix };
  const features = new Queue(FEATURE_QUEUE, options);
  const assembly = new Queue(ASSEMBLY_QUEUE, options);
  t.teardown(async () => {
    await features.close();
    await assembly.close();
  });
  const created = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: FEATURES });
  t.equal(created.status, 'queued');
  // Long unmoved: were anything missing, it would be enqueued at once.
  await ctx.database.sql`update requests set updated_at = now() - interval '1 hour' where id = ${created.id}`;
  const jobs = async () => ({ features: await features.getJobCounts('waiting'), assembly: await assembly.getJobCounts('waiting-children', 'waiting') });
  const before = await jobs();
  t.match(before, { features: { waiting: 2 }, assembly: { 'waiting-children': 1, waiting: 0 } });
  t.equal(await reconciler.run(), 0, 'nothing to enqueue');
  t.equal(await reconciler.run(), 0, 'nor on a second look');
  t.same(await jobs(), before, 'the same jobs, none added');
  t.equal((await ctx.repo.events(created.id)).filter((e) => e.kind === 'queued').length, 1, 'queued once');

  // A failover that lost one child: the assembly would wait for it forever.
  const lostId = featureJobId(created.id, 'im');
  await ctx.redis.del(features.toKey(lostId));
  await ctx.redis.lrem(features.toKey('wait'), 0, lostId);
  t.match(await features.getJobCounts('waiting'), { waiting: 1 });
  t.equal(await reconciler.run(), 1, 'the lost child is enqueued again');
  t.same(await jobs(), before, 'into the same flow');
  const worker = startWorker(ctx);
  t.teardown(() => worker.close());
  const done = await waitForEnd(sys, created.id);
  t.equal(done.status, 'completed');
  await ranOnce(t, sys, created.id, FEATURES);
});

t.test('work Redis lost after it started: a task left running re-runs once, an assembly still owed runs', async (t) => {
  const sys = await startSystem(t, { RECONCILE_INTERVAL_MS: '250' }, { redisUrl: redis.url });
  // A worker died running clock-in, and Redis lost its job: the task is `running` with nobody on it.
  const running = await insertRequest(sys, 'processing', 'alice', { 'clock-in': 'running', im: 'pending' });
  // Every task ended (as after the last manual task was answered) and the assembly's job was lost.
  const owed = await insertRequest(sys, 'processing', 'bob', { 'clock-in': 'not_automated' });
  const since = Date.now();
  const [rerun, assembled] = await Promise.all([waitForEnd(sys, running), waitForEnd(sys, owed)]);
  t.ok(Date.now() - since >= LOST_AFTER_MS - 500, 'left alone while a worker might still have been on it');
  t.equal(rerun.status, 'completed');
  t.same(
    rerun.tasks.map((task: { feature: string; status: string }) => [task.feature, task.status]),
    [
      ['clock-in', 'completed'],
      ['im', 'completed'],
    ],
  );
  const events = await sys.ctx.repo.events(running);
  t.equal(events.filter((e) => e.kind === 'task_started' && e.feature === 'clock-in').length, 1, 'the running task started again, once');
  t.equal(assembled.status, 'completed');
});

t.test('a running job is left alone while a worker holds its claim', async (t) => {
  const sys = await startSystem(t, {}, { redisUrl: redis.url, worker: false });
  const { ctx } = sys;
  const claims = new JobClaims(ctx.redis, ctx.config.queuePrefix);
  const reconciler = new Reconciler({ ...ctx, claims, schedules: [] });
  const id = await insertRequest(sys, 'processing', 'alice', { 'clock-in': 'running' });
  let release = () => {};
  const held = claims.hold(featureJobId(id, 'clock-in'), () => new Promise<void>((resolve) => (release = resolve)));
  await until(() => claims.anyHeld([featureJobId(id, 'clock-in')]));
  t.equal(await reconciler.run(), 0);
  await new Promise((r) => setTimeout(r, LOST_AFTER_MS));
  t.equal(await reconciler.run(), 0, 'claimed: in a worker’s hands');
  release();
  await held;
  t.notOk(await claims.anyHeld([featureJobId(id, 'clock-in')]), 'the claim ends with the job');
  t.equal(await reconciler.run(), 0, 'found lost: looked at again later');
  await new Promise((r) => setTimeout(r, LOST_AFTER_MS));
  t.equal(await reconciler.run(), 1, 'still lost, and unclaimed: enqueued again');
});
