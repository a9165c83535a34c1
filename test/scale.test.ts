import t from 'tap';
import type { Test } from 'tap';
import { createRequest, startSystem, waitForEnd, type TestSystem } from './helper.js';
import { until } from './fixtures/reconcile.js';
import { startWorker } from '../src/worker/worker.js';
import type { Config } from '../src/config.js';
import { Queue } from 'bullmq';
import { BACKLOG_QUEUE, FEATURE_QUEUE, featureJobId } from '../src/queue/flow.js';

// Horizontal scale: worker pools per queue, fairness between tenants, per-feature concurrency (issue 17, item 4).
const FEATURES = ['clock-in'];

/** A worker process of its own configuration, sharing the system's Postgres and Redis. */
function workerWith(t: Test, sys: TestSystem, config: Partial<Config>) {
  const worker = startWorker({ ...sys.ctx, config: { ...sys.ctx.config, ...config } });
  t.teardown(() => worker.close());
  return worker;
}

async function statusOf(sys: TestSystem, id: string): Promise<string> {
  const [row] = await sys.ctx.database.sql<{ status: string }[]>`select status from requests where id = ${id}`;
  return row?.status ?? 'missing';
}

t.test('two workers with different WORKER_QUEUES share the work: feature tasks on one, assembly and housekeeping on the other', async (t) => {
  const sys = await startSystem(t, {}, { worker: false });
  workerWith(t, sys, { workerQueues: ['feature-tasks'] });
  const created = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: ['clock-in', 'im', 'calendar'] });
  const tasksDone = async () =>
    (await sys.ctx.repo.tasksOf(created.id)).every((task) => task.status === 'completed') && (await sys.ctx.repo.tasksOf(created.id)).length === 3;
  await until(tasksDone);
  t.ok(await tasksDone(), 'the feature worker ran every task');
  t.equal(await statusOf(sys, created.id), 'processing', 'no worker of the assembly pool: the request waits for its assembly');

  workerWith(t, sys, { workerQueues: ['assembly', 'webhooks', 'housekeeping'] });
  const ended = await waitForEnd(sys, created.id);
  t.equal(ended.status, 'completed', 'the assembly worker completed it');
});

t.test("a tenant's flood does not hold back another tenant's single request (TENANT_MAX_ACTIVE_REQUESTS)", async (t) => {
  const LIMIT = 2;
  const sys = await startSystem(t, { TENANT_MAX_ACTIVE_REQUESTS: String(LIMIT) }, { worker: false });
  // All at once: admissions on one tenant wait for each other, and must not wait for a connection the waiting ones hold.
  const flood = (
    await Promise.all(Array.from({ length: 30 }, (_, i) => createRequest(sys, { type: 'access', subject: { accountId: `flood-${i}` }, features: FEATURES })))
  ).map((r) => r.id);
  const inFlight = async () => {
    const [row] = await sys.ctx.database.sql<{ n: number }[]>`
      select count(*)::int as n from requests where tenant_id = 'acme' and status in ('queued', 'processing')`;
    return row?.n ?? 0;
  };
  t.equal(await inFlight(), LIMIT, `acme has ${LIMIT} requests in flight`);
  t.equal((await Promise.all(flood.map((id) => statusOf(sys, id)))).filter((s) => s === 'received').length, 30 - LIMIT, 'the rest wait, received');

  const single = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: FEATURES }, sys.keys.globex);
  t.equal(single.status, 'queued', "globex's request is admitted at once, whatever acme has waiting");

  // Redis may be flushed: who waits is in Postgres, and the reconciler's pass admits it.
  let most = 0;
  let watching = true;
  const watch = (async () => {
    while (watching) {
      most = Math.max(most, await inFlight());
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  workerWith(t, sys, {});
  const theirs = await waitForEnd(sys, single.id, sys.keys.globex);
  t.equal(theirs.status, 'completed');
  const [before] = await sys.ctx.database.sql<{ n: number }[]>`
    select count(*)::int as n from requests where tenant_id = 'acme' and completed_at < ${theirs.completedAt}::timestamptz`;
  t.ok((before?.n ?? 0) <= LIMIT, `at most the ${LIMIT} acme requests in flight before it completed before it (${before?.n})`);
  const ended = await Promise.all(flood.map((id) => waitForEnd(sys, id, sys.keys.acme, 120_000)));
  watching = false;
  await watch;
  t.ok(ended.every((r) => r.status === 'completed'), "every one of acme's requests completed, admitted as others ended");
  t.ok(most <= LIMIT, `acme never had more than ${LIMIT} in flight (most seen: ${most})`);
  // Admitted with more waiting behind them, acme's tasks ran in the backlog lane (BACKLOG_CONCURRENCY); globex's did not.
  const lanes = { connection: sys.ctx.redis, prefix: sys.ctx.config.queuePrefix };
  const [features, backlog] = [new Queue(FEATURE_QUEUE, lanes), new Queue(BACKLOG_QUEUE, lanes)];
  t.teardown(async () => {
    await features.close();
    await backlog.close();
  });
  const globexTask = featureJobId(single.id, 'clock-in');
  t.same([await features.getJobState(globexTask), await backlog.getJobState(globexTask)], ['completed', 'unknown'], "globex's task ran in the feature lane");
  const backlogged = (await backlog.getJobCounts('completed')).completed ?? 0;
  t.ok(backlogged >= 30 - 2 * LIMIT, `acme's admitted behind a backlog ran there (${backlogged} of 30)`);
});

t.test('the reconciler admits waiting requests after Redis lost everything', async (t) => {
  const sys = await startSystem(t, { TENANT_MAX_ACTIVE_REQUESTS: '1', RECONCILE_INTERVAL_MS: '500', CLAIM_RENEW_MS: '1000' }, { worker: false });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await createRequest(sys, { type: 'access', subject: { accountId: `wait-${i}` }, features: FEATURES })).id);
  t.same(await Promise.all(ids.map((id) => statusOf(sys, id))), ['queued', 'received', 'received']);
  await sys.ctx.redis.eval(`for _, k in ipairs(redis.call('keys', ARGV[1])) do redis.call('del', k) end`, 0, `${sys.ctx.config.queuePrefix}*`);
  const worker = workerWith(t, sys, {});
  await worker.reconcile();
  const ended = await Promise.all(ids.map((id) => waitForEnd(sys, id)));
  t.ok(
    ended.every((r) => r.status === 'completed'),
    'each completed',
  );
});

t.test('a per-feature limit is never exceeded across workers (FEATURE_CONCURRENCY)', async (t) => {
  const sys = await startSystem(t, {}, { worker: false });
  const sql = sys.ctx.database.sql;
  const running = async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from tasks where feature = 'clock-in' and status = 'running'`;
    return row?.n ?? 0;
  };
  // A slow feature store: clock-in's table locked, so that every task that starts stays running until it is released.
  const reserved = await sql.reserve();
  await reserved`begin`;
  await reserved`lock table clock_in.profiles in access exclusive mode`;
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) ids.push((await createRequest(sys, { type: 'access', subject: { accountId: `slow-${i}` }, features: FEATURES })).id);
  const limited = { featureConcurrency: { 'clock-in': 2 }, workerConcurrency: 4 };
  workerWith(t, sys, limited);
  workerWith(t, sys, limited);
  await until(async () => (await running()) >= 2);
  let most = 0;
  for (let i = 0; i < 50; i++) {
    most = Math.max(most, await running());
    await new Promise((r) => setTimeout(r, 20));
  }
  t.equal(most, 2, 'two of eight tasks run, with eight workers free for them');
  await reserved`rollback`;
  reserved.release();
  let afterwards = 0;
  const watching = Promise.all(ids.map((id) => waitForEnd(sys, id)));
  let done = false;
  void watching.finally(() => (done = true));
  while (!done) {
    afterwards = Math.max(afterwards, await running());
    await new Promise((r) => setTimeout(r, 10));
  }
  t.ok((await watching).every((r) => r.status === 'completed'), 'every task ran in turn');
  t.ok(afterwards <= 2, `never more than two at once (most seen: ${afterwards})`);
});
