import t, { type Test } from 'tap';
import { Queue } from 'bullmq';
import { createRequest, startSystem, waitForEnd } from './helper.js';
import { insertRequest, ownRedis, ranOnce, until } from './fixtures/reconcile.js';
import { JobClaims } from '../src/queue/claims.js';
import { ASSEMBLY_QUEUE, BACKLOG_QUEUE, FEATURE_QUEUE, featureJobId, PLAN_QUEUE, planJobId } from '../src/queue/flow.js';
import { addFlow } from '../src/requests/hand-over.js';
import { Reconciler } from '../src/queue/reconciler.js';
import { startWorker } from '../src/worker/worker.js';

// What the reconciler (src/queue/reconciler.ts) takes for lost, and what not; reconcile-flush.test.ts flushes Redis.
const redisUrl = await ownRedis(t);
const FEATURES = ['clock-in', 'im'];
// Claims renewed every second: a request is taken for lost after 2 s instead of the default 10.
const RENEW = { CLAIM_RENEW_MS: '1000' };
const LOST_AFTER_MS = 2_000;

/** A system without a worker, its reconciler, and the queues a test looks into (closed at its end). */
async function reconciling(t: Test) {
  const sys = await startSystem(t, RENEW, { redisUrl, worker: false });
  const { ctx } = sys;
  const reconciler = new Reconciler({ ...ctx, claims: new JobClaims(ctx.redis, ctx.config.queuePrefix, ctx.config.claimRenewMs), schedules: [] });
  const queue = (name: string) => {
    const opened = new Queue(name, { connection: ctx.redis, prefix: ctx.config.queuePrefix });
    t.teardown(() => opened.close());
    return opened;
  };
  return { sys, ctx, reconciler, queue };
}

t.test('a request whose jobs are intact is not enqueued twice; a lost plan job or child is enqueued again', async (t) => {
  const { sys, ctx, reconciler, queue } = await reconciling(t);
  const features = queue(FEATURE_QUEUE);
  const assembly = queue(ASSEMBLY_QUEUE);
  const plans = queue(PLAN_QUEUE);
  const created = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: FEATURES });
  t.equal(created.status, 'queued');
  // Long unmoved: were anything missing, it would be enqueued at once.
  await ctx.database.sql`update requests set updated_at = now() - interval '1 hour' where id = ${created.id}`;
  const jobs = async () => ({ features: await features.getJobCounts('waiting'), assembly: await assembly.getJobCounts('waiting-children', 'waiting') });
  t.equal(await plans.getJobState(planJobId(created.id)), 'waiting', 'handed over as one job');
  t.equal(await reconciler.run(), 0, 'its plan job still to run: the flow is on its way, nothing to enqueue');
  t.match(await jobs(), { features: { waiting: 0 }, assembly: { 'waiting-children': 0, waiting: 0 } }, 'no flow yet');

  // Redis lost the plan job (or it ran and the flow was lost since): the reconciler enqueues the flow.
  await plans.remove(planJobId(created.id));
  t.equal(await reconciler.run(), 1, 'the lost plan job: its flow enqueued');
  const before = await jobs();
  t.match(before, { features: { waiting: 2 }, assembly: { 'waiting-children': 1, waiting: 0 } });
  await addFlow(created.id, ctx);
  t.same(await jobs(), before, 'a plan job run again (its worker died after adding the flow) adds nothing');
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

t.test("a flooding tenant's lost child is found in the backlog lane, and enqueued again there", async (t) => {
  const { sys, ctx, reconciler, queue } = await reconciling(t);
  const features = queue(FEATURE_QUEUE);
  const backlog = queue(BACKLOG_QUEUE);
  const id = await insertRequest(sys, 'received', 'alice', { 'clock-in': 'pending', im: 'pending' });
  const row = await ctx.repo.findById(id);
  t.ok(row && (await ctx.requests.enqueue(row, FEATURES, { priority: 50, backlogged: true })), 'admitted behind its tenant\'s flood');
  const jobs = async () => {
    const count = async (queue: Queue) => Object.values(await queue.getJobCounts('waiting', 'prioritized')).reduce((a, b) => a + b, 0);
    return { features: await count(features), backlog: await count(backlog) };
  };
  t.same(await jobs(), { features: 0, backlog: 2 }, 'both its tasks in the backlog lane');

  const lostId = featureJobId(id, 'im');
  await ctx.redis.del(backlog.toKey(lostId));
  await ctx.redis.zrem(backlog.toKey('prioritized'), lostId);
  t.same((await ctx.flow.inspect(id)).lostChildren, ['im'], 'the lost child is found in its lane');
  await ctx.database.sql`update requests set updated_at = now() - interval '1 hour' where id = ${id}`;
  t.equal(await reconciler.run(), 1, 'enqueued again');
  t.same(await jobs(), { features: 0, backlog: 2 }, 'the lost one back where its assembly waits for it, the held one kept: none added twice');
  const worker = startWorker(ctx);
  t.teardown(() => worker.close());
  t.equal((await waitForEnd(sys, id)).status, 'completed');
  await ranOnce(t, sys, id, FEATURES);
  // Without TENANT_MAX_ACTIVE_REQUESTS (here) a worker keeps a Worker on the lane only if it holds tasks as it starts.
  t.ok((await backlog.getWorkers()).length > 0, 'worked by the worker that found tasks in it as it started');
});

t.test('work Redis lost after it started: a task left running re-runs once, an assembly still owed runs', async (t) => {
  const sys = await startSystem(t, { ...RENEW, RECONCILE_INTERVAL_MS: '250' }, { redisUrl });
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
  const sys = await startSystem(t, RENEW, { redisUrl, worker: false });
  const { ctx } = sys;
  const claims = new JobClaims(ctx.redis, ctx.config.queuePrefix, ctx.config.claimRenewMs);
  t.equal(claims.lostAfterMs, LOST_AFTER_MS, 'two renewals');
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
