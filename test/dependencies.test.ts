import t, { type Test } from 'tap';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { Queue } from 'bullmq';
import { auth, createRequest, startSystem, VERIFIED, waitForEnd, type TestSystem } from './helper.js';
import { blackHole, onClosedPort, tcpProxy, type TcpProxy } from './fixtures/outage.js';
import { until } from './fixtures/reconcile.js';
import { readTestServices } from './setup/services.js';
import { withDatabase } from '../src/db/migrate.js';
import { ASSEMBLY_QUEUE, assemblyJobId, FEATURE_QUEUE, featureJobId, PLAN_QUEUE, planJobId } from '../src/queue/flow.js';
import { addFlow } from '../src/requests/hand-over.js';
import { partialKey } from '../src/blobs/keys.js';
import { readSpoolIndex } from '../src/results/partials/partials.js';
import { redisConnection } from '../src/queue/redis.js';
import { PostgresOutages, startWorker } from '../src/worker/worker.js';
import { serviceUnavailable, unavailable } from '../src/dependencies.js';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { connect, isClosedSocketWrite } from '../src/db/client.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalBlobStore } from '../src/blobs/blob-store.js';
import { seedDemo } from '../src/demo/seed.js';
import { collectForPartial } from '../src/features/adapter.js';
import { builtInAdapters } from '../src/features/registry.js';
import { createTestDatabase } from './helper.js';
import { randomUUID } from 'node:crypto';
import { rescanAfterErasure } from '../src/tasks/erasure-rescan.js';
import type { RequestRow, TaskRow } from '../src/requests/tables.js';

// Postgres, Redis or a feature's store failing (issue 14, "dependencies failing"): the API says 503 and
// when to come back, the worker waits the outage out, and a feature that cannot be reached fails its task.

const FEATURES = ['clock-in', 'im'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function queues(t: Test, sys: TestSystem) {
  const options = { connection: sys.ctx.redis, prefix: sys.ctx.config.queuePrefix };
  const features = new Queue(FEATURE_QUEUE, options);
  const assembly = new Queue(ASSEMBLY_QUEUE, options);
  const plans = new Queue(PLAN_QUEUE, options);
  t.teardown(async () => {
    await features.close();
    await assembly.close();
    await plans.close();
  });
  return { features, assembly, plans };
}

/** Statements of the test's database waiting for a lock. */
async function waitingOnLocks(sql: TestSystem['ctx']['database']['sql']): Promise<number> {
  const [row] = await sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
  return Number(row?.n);
}

/** The assembly's job once it has ended: completed, or failed after its attempts. */
async function assemblyEnd(t: Test, sys: TestSystem, id: string) {
  const { assembly } = queues(t, sys);
  let state = '';
  await until(async () => {
    state = await assembly.getJobState(assemblyJobId(id));
    return state === 'completed' || state === 'failed';
  });
  return state;
}

/** A system without a worker whose Postgres is reached through a proxy the test cuts. */
async function behindProxy(t: Test, log?: Logger): Promise<{ sys: TestSystem; db: TcpProxy }> {
  const proxied: { db?: TcpProxy } = {};
  const viaDatabase = async (url: string) => {
    proxied.db = await tcpProxy(t, url);
    return proxied.db.url;
  };
  const sys = await startSystem(t, {}, { worker: false, viaDatabase, log });
  if (!proxied.db) throw new Error('no proxy');
  return { sys, db: proxied.db };
}

interface Task {
  feature: string;
  status: string;
  error?: string;
}

function taskOf(request: { tasks: Task[] }, feature: string): Task | undefined {
  return request.tasks.find((task) => task.feature === feature);
}

function isUnavailable(t: Test, res: { statusCode: number; headers: Record<string, unknown>; body: string }, what: RegExp, label: string) {
  t.equal(res.statusCode, 503, `${label}: 503`);
  t.equal(res.headers['retry-after'], '5', `${label}: Retry-After in seconds`);
  t.match(res.headers['content-type'], /application\/problem\+json/, `${label}: a problem`);
  const body = JSON.parse(res.body);
  t.match(body, { type: 'urn:dsar:problem:service-unavailable', status: 503, detail: what }, label);
  t.notMatch(res.body, /ECONN|CONNECTION_|127\.0\.0\.1|postgres:|redis:/i, `${label}: no internals`);
}

t.test('Postgres down: the API answers 503 with Retry-After, /readyz names postgres, and both recover', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const { sys, db } = await behindProxy(t, pino({ level: 'info' }, sink));
  const created = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: FEATURES });
  await db.cut();

  const read = await sys.app.inject({ method: 'GET', url: `/v1/requests/${created.id}`, headers: auth(sys.keys.acme) });
  isUnavailable(t, read, /database/, 'a read');
  const payload = { type: 'access', subject: { accountId: 'bob' }, verification: VERIFIED };
  const submit = await sys.app.inject({ method: 'POST', url: '/v1/requests', headers: auth(sys.keys.acme), payload });
  isUnavailable(t, submit, /database/, 'a submission');
  const failures = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request failed');
  t.ok(failures.length >= 2, 'each logged');
  t.match(failures[0], { error: String, cause: { code: /^(ECONNREFUSED|ECONNRESET|EPIPE|CONNECTION_CLOSED)$/ } }, 'with its kind and code');
  t.notMatch(lines.join(''), /bob|127\.0\.0\.1/, 'never its message, nor the values of the statement');
  const ready = await sys.app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 503);
  t.equal(ready.headers['retry-after'], '5');
  t.same(ready.json(), { status: 'unavailable', checks: { postgres: 'failing', redis: 'ok' } }, 'names the failing one');

  await db.restore();
  await until(async () => (await sys.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200);
  const again = await sys.app.inject({ method: 'GET', url: `/v1/requests/${created.id}`, headers: auth(sys.keys.acme) });
  t.equal(again.statusCode, 200, 'answers again once Postgres is back');
  t.same((await sys.app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
});

t.test('Redis down: a request is taken at once and kept in Postgres; the worker resumes and finishes it', async (t) => {
  const redis = await tcpProxy(t, readTestServices().redisUrl);
  const sys = await startSystem(t, { RECONCILE_INTERVAL_MS: '250', CLAIM_RENEW_MS: '1000' }, { redisUrl: redis.url });
  // The worker is connected and working before the outage.
  t.equal((await waitForEnd(sys, (await createRequest(sys, { type: 'access', subject: { accountId: 'carol' }, features: FEATURES })).id)).status, 'completed');
  await redis.cut();

  const since = Date.now();
  const payload = { type: 'access', subject: { accountId: 'alice' }, features: FEATURES, verification: VERIFIED };
  const submitted = sys.app.inject({ method: 'POST', url: '/v1/requests', headers: auth(sys.keys.acme), payload });
  const res = await Promise.race([submitted, sleep(15_000).then(() => undefined)]);
  t.ok(res, 'the submission does not wait for Redis');
  t.ok(Date.now() - since < 10_000, `answered within a bounded wait (${Date.now() - since} ms)`);
  t.equal(res?.statusCode, 202, 'taken: Postgres holds it');
  const created = res?.json();
  t.equal(created?.status, 'received', 'received, not yet queued');
  const read = await sys.app.inject({ method: 'GET', url: `/v1/requests/${created?.id}`, headers: auth(sys.keys.acme) });
  t.equal(read.statusCode, 200, 'reads need no Redis');
  const ready = await sys.app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 503);
  t.equal(ready.headers['retry-after'], '5');
  t.same(ready.json(), { status: 'unavailable', checks: { postgres: 'ok', redis: 'failing' } }, 'names the failing one');

  await sleep(3_000);
  await redis.restore();
  const done = await waitForEnd(sys, created.id);
  t.equal(done.status, 'completed', 'finished once Redis is back, without a restart');
  t.same(
    done.tasks.map((task: { status: string }) => task.status),
    ['completed', 'completed'],
  );
  t.equal((await sys.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
});

t.test('Postgres down: the worker waits the outage out without spending the tasks\' attempts, and resumes', async (t) => {
  const { sys, db } = await behindProxy(t);
  const created = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: FEATURES });
  // The flow its plan job adds, added before the outage: the feature jobs are there to wait it out (the plan job waits it out too).
  await addFlow(created.id, sys.ctx);
  await db.cut();
  const worker = startWorker(sys.ctx);
  t.teardown(() => worker.close());
  // Far longer than the two attempts (20 ms apart) a failing feature has.
  await sleep(2_000);
  const { features, plans } = queues(t, sys);
  const plan = await plans.getJob(planJobId(created.id));
  t.equal(plan?.attemptsMade, 0, 'the plan job: no attempt spent on the outage');
  t.not(await plan?.getState(), 'failed', 'the plan job did not fail');
  for (const feature of FEATURES) {
    const job = await features.getJob(featureJobId(created.id, feature));
    t.equal(job?.attemptsMade, 0, `${feature}: no attempt spent on the outage`);
    t.not(await job?.getState(), 'failed', `${feature}: its job did not fail`);
  }
  await db.restore();
  const done = await waitForEnd(sys, created.id, sys.keys.acme, 20_000);
  t.equal(done.status, 'completed', 'completed once Postgres is back, without a restart');
  for (const feature of FEATURES) t.match(taskOf(done, feature), { status: 'completed' });
  const attempts = (await sys.ctx.repo.tasksOf(created.id)).map((task) => [task.feature, task.attempts]);
  t.same(attempts, FEATURES.map((feature) => [feature, 1]), 'one attempt each');
  const events = await sys.ctx.repo.events(created.id);
  t.equal(events.filter((e) => e.kind === 'task_attempt_failed').length, 0, 'no failed attempt recorded');
});

t.test('a feature store that cannot be reached: retried, then failed as unreachable; the request is partially completed', async (t) => {
  const sys = await startSystem(t, { FEATURE_DATABASE_URL_IM: await onClosedPort(readTestServices().postgresUrl) });
  const created = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: FEATURES });
  const done = await waitForEnd(sys, created.id);
  t.equal(done.status, 'partially_completed', 'never completed');
  t.match(taskOf(done, 'clock-in'), { status: 'completed' });
  const im = taskOf(done, 'im');
  t.match(im, { status: 'failed' });
  t.equal((await sys.ctx.repo.tasksOf(created.id)).find((task) => task.feature === 'im')?.attempts, 2, 'both attempts made');
  t.match(im?.error, /^unreachable\b/, `the reason: ${im?.error}`);
  t.notMatch(im?.error, /ECONN|127\.0\.0\.1|postgres:/, 'no internals in the reason');
  const events = await sys.ctx.repo.events(created.id);
  t.equal(events.filter((e) => e.kind === 'task_attempt_failed' && e.feature === 'im').length, 2, 'each attempt recorded');
  // The clean-up after the request closed must not fail on the store it cannot reach.
  t.equal(await assemblyEnd(t, sys, created.id), 'completed', 'the assembly job completed');
});

t.test('a feature store that hangs: each attempt times out, then the task fails as timeout', async (t) => {
  const store = await blackHole(t);
  const sys = await startSystem(t, { FEATURE_DATABASE_URL_IM: `postgres://dsar:dsar@127.0.0.1:${store.port}/feature`, TASK_TIMEOUT_MS: '300' });
  const created = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: FEATURES });
  const since = Date.now();
  const done = await waitForEnd(sys, created.id, sys.keys.acme, 30_000);
  t.comment(`ended after ${Date.now() - since} ms`);
  t.equal(done.status, 'partially_completed', 'never completed');
  t.match(taskOf(done, 'clock-in'), { status: 'completed' });
  const im = taskOf(done, 'im');
  t.match(im, { status: 'failed' });
  t.equal((await sys.ctx.repo.tasksOf(created.id)).find((task) => task.feature === 'im')?.attempts, 2, 'both attempts made');
  t.match(im?.error, /^timeout\b/, `the reason: ${im?.error}`);
  t.equal(await assemblyEnd(t, sys, created.id), 'completed', 'the assembly job completed');
  // Its connections dropped before the system closes (closing a pool that waits on them would wait for them).
  await store.close();
});

/**
 * Alice's request whose im task times out at every attempt: im's messages are locked (the store hangs),
 * so the attempts' statements wait. `release` unlocks them and waits until those statements have run.
 */
async function timedOutOnIm(t: Test, sys: TestSystem, type: 'access' | 'deletion') {
  const sql = sys.ctx.database.sql;
  const holder = await sql.reserve();
  t.teardown(() => holder.release());
  await holder`begin`;
  await holder`lock table im.messages in access exclusive mode`;
  const created = await createRequest(sys, { type, subject: { accountId: 'alice' }, features: FEATURES });
  const done = await waitForEnd(sys, created.id, sys.keys.acme, 30_000);
  t.match(taskOf(done, 'im'), { status: 'failed', error: /^timeout\b/ });
  const waiting = await waitingOnLocks(sql);
  const release = async () => {
    await holder`commit`;
    await until(async () => (await waitingOnLocks(sql)) === 0);
    // Time for what an attempt still at work would do next.
    await sleep(1_000);
  };
  return { id: created.id, waiting, release };
}

t.test('an attempt that timed out stops: once the store answers, nothing it collected is stored', async (t) => {
  const sys = await startSystem(t, { TASK_TIMEOUT_MS: '300' });
  const request = await timedOutOnIm(t, sys, 'access');
  t.ok(request.waiting > 0, 'the timed-out reads were still waiting on the store');
  await request.release();
  t.equal(await readSpoolIndex(sys.ctx.results, partialKey(request.id, 'im')), undefined, 'no partial of the abandoned attempts');
  t.equal((await sys.ctx.repo.tasksOf(request.id)).find((task) => task.feature === 'im')?.status, 'failed', 'the task stays failed');
});

t.test('an erasure that timed out stops: once the store answers, it erases nothing more', async (t) => {
  const sys = await startSystem(t, { TASK_TIMEOUT_MS: '300' });
  const sql = sys.ctx.database.sql;
  const sent = async () => Number((await sql`select count(*)::int as n from im.messages where tenant_id = 'acme' and sender_account_id = 'alice'`)[0]?.n);
  const before = await sent();
  t.ok(before > 0, `alice has sent ${before} messages`);
  const request = await timedOutOnIm(t, sys, 'deletion');
  await request.release();
  t.equal(await sent(), before, 'the abandoned attempts deleted none of her messages');
});

t.test("a failed job's reason in Redis names the error's kind, never its message (which may quote personal data)", async (t) => {
  const email = 'alice@acme.example';
  // Postgres quotes the database it does not have: the error's message carries the address.
  const url = withDatabase(readTestServices().postgresUrl, encodeURIComponent(email));
  const sys = await startSystem(t, { FEATURE_DATABASE_URL_IM: url });
  const created = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: FEATURES });
  t.equal((await waitForEnd(sys, created.id)).status, 'partially_completed');
  const { features } = queues(t, sys);
  const job = await features.getJob(featureJobId(created.id, 'im'));
  t.equal(await job?.getState(), 'failed');
  t.match(job?.failedReason, /PostgresError/, `names the kind: ${job?.failedReason}`);
  const stored = await sys.ctx.redis.hgetall(features.toKey(featureJobId(created.id, 'im')));
  t.ok(Object.keys(stored).length > 0, 'the job is stored');
  t.notMatch(JSON.stringify(stored), email, 'no email in what Redis keeps of the job');
});

t.test('what counts as an outage: connection errors of Postgres (drizzle-wrapped too) and Redis, not a statement refused', async (t) => {
  const closed = await onClosedPort(readTestServices().redisUrl);
  const said: { msg: string; code?: string }[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      said.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const redis = redisConnection({ url: closed, cluster: false }, pino({ level: 'info' }, sink));
  t.teardown(() => redis.disconnect());
  const since = Date.now();
  const redisError = await redis.ping().catch((err: unknown) => err);
  t.ok(Date.now() - since < 5_000, 'a command gives up within a reconnection attempt');
  t.equal(unavailable(redisError), 'queue', 'Redis not answering');
  await redis.ping().catch(() => {});
  t.match(said, [{ msg: 'Redis unavailable: reconnecting', code: 'ECONNREFUSED' }], 'the outage said, with its code');
  t.equal(said.length, 1, 'once, not at every attempt');

  const sql = postgres(await onClosedPort(readTestServices().postgresUrl), { max: 1, onnotice: () => {} });
  t.teardown(() => sql.end({ timeout: 1 }));
  const refused = await sql`select 1`.catch((err: unknown) => err);
  t.equal(unavailable(refused), 'database', 'Postgres refusing connections');
  const db = drizzle(sql);
  t.equal(unavailable(await db.execute('select 1').catch((err: unknown) => err)), 'database', 'through drizzle too');
  for (const code of ['57P01', '57P03', '08006', 'CONNECTION_CLOSED', 'CONNECT_TIMEOUT']) {
    t.equal(unavailable(Object.assign(new Error('x'), { code })), 'database', code);
  }
  for (const error of [Object.assign(new Error('duplicate key'), { code: '23505' }), new Error('plain'), 'text']) {
    t.equal(unavailable(error), undefined, `not an outage: ${String(error)}`);
  }
  t.match(serviceUnavailable('queue').toProblem(), { status: 503, detail: /job queue/ });

  // A job's connection error is the outage's while Postgres does not answer, and moments after: it may be back by the probe.
  let answering = false;
  const outages = new PostgresOutages(async () => answering, 1_000);
  t.notOk(await new PostgresOutages(async () => true, 1_000).explain(refused), 'Postgres answering and never seen down: the failure is the job\'s (a feature store)');
  t.notOk(await outages.explain(new Error('plain')), 'not a connection error: the job\'s');
  t.ok(await outages.explain(refused), 'Postgres not answering: the outage');
  answering = true;
  t.ok(await outages.explain(refused), 'Postgres back by the probe, seen down moments before the failure: still the outage');
  t.notOk(await outages.explain(refused, Date.now() + 2_000), 'a failure past the memory: the job\'s');
});

t.test('Redis down from the start: a request is taken within a bounded wait, and worked once Redis is there', async (t) => {
  const redis = await tcpProxy(t, readTestServices().redisUrl);
  await redis.cut();
  const sys = await startSystem(t, { RECONCILE_INTERVAL_MS: '250', CLAIM_RENEW_MS: '1000' }, { redisUrl: redis.url, worker: false });
  const since = Date.now();
  const payload = { type: 'access', subject: { accountId: 'alice' }, features: FEATURES, verification: VERIFIED };
  const submitted = sys.app.inject({ method: 'POST', url: '/v1/requests', headers: auth(sys.keys.acme), payload });
  const res = await Promise.race([submitted, sleep(20_000).then(() => undefined)]);
  t.ok(res && Date.now() - since < 15_000, `answered within a bounded wait (${Date.now() - since} ms)`);
  t.equal(res?.statusCode, 202, 'taken: Postgres holds it');
  const created = res?.json();
  t.equal(created?.status, 'received');
  await redis.restore();
  const worker = startWorker(sys.ctx);
  t.teardown(() => worker.close());
  t.equal((await waitForEnd(sys, created.id)).status, 'completed', 'worked once Redis is there');
});

t.test("postgres.js writing to a connection that closed (porsager/postgres#1154) is told apart from any other crash", async (t) => {
  const err = new TypeError("Cannot read properties of null (reading 'write')");
  err.stack = `${err.name}: ${err.message}\n    at Immediate.nextWrite (file:///srv/app/node_modules/postgres/src/connection.js:255:22)\n    at process.processImmediate (node:internal/timers:485:21)`;
  t.ok(isClosedSocketWrite(err), "the library's write after close");
  const ours = new TypeError("Cannot read properties of null (reading 'write')");
  t.notOk(isClosedSocketWrite(ours), 'the same message from our own code is a crash');
  t.notOk(isClosedSocketWrite(Object.assign(new Error('boom'), { stack: err.stack })), 'another error through that line too');
});

t.test('a feature store dropping while a cursor fetches ahead: the collect fails, the process does not', async (t) => {
  const url = await createTestDatabase(t);
  const blobDir = await mkdtemp(path.join(os.tmpdir(), 'dsar-outage-'));
  const direct = connect(url);
  t.teardown(async () => {
    await direct.close();
    await rm(blobDir, { recursive: true, force: true });
  });
  const blobs = new LocalBlobStore(blobDir);
  await seedDemo(direct.sql, blobs);
  // More of her files than one fetch of the cursor takes: the collect fetches the next batch while it hands these on.
  await direct.sql`insert into clouddrive.files (tenant_id, owner_account_id, name, media_type, size, sha256, blob_key)
    select 'acme', 'alice', 'bulk ' || i, 'text/plain', 1, 'x', 'bulk/' || i from generate_series(1, 5000) as i`;
  const store = await tcpProxy(t, url);
  const viaProxy = connect(store.url, { max: 1 });
  t.teardown(() => viaProxy.close());
  const unhandled: unknown[] = [];
  const keep = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', keep);
  t.teardown(() => process.off('unhandledRejection', keep));

  const adapter = builtInAdapters.get('clouddrive');
  if (!adapter) throw new Error('no clouddrive adapter');
  const items = collectForPartial(adapter, { tenantId: 'acme', accountId: 'alice' }, { sql: viaProxy.sql, blobs, log: pino({ level: 'silent' }) })[Symbol.asyncIterator]();
  let first = await items.next();
  while (!first.done && first.value.dataset !== 'files') first = await items.next();
  t.notOk(first.done, 'her files are being collected');
  // The store goes while the consumer is busy with the first record (writing it, in a task).
  await store.cut();
  await sleep(500);
  t.same(unhandled, [], 'the fetch in flight failing is not left unhandled (which stops the worker)');
  let failure: unknown;
  try {
    for (let item = await items.next(); !item.done; item = await items.next());
  } catch (err) {
    failure = err;
  }
  t.equal(unavailable(failure), 'database', 'the collect fails as the store being unavailable');
});

t.test("the re-scan after an erasure: a store that does not answer fails the attempt; only the last records the scan as failed", async (t) => {
  const down = connect(await onClosedPort(readTestServices().postgresUrl), { max: 1 });
  const blobDir = await mkdtemp(path.join(os.tmpdir(), 'dsar-rescan-'));
  t.teardown(async () => {
    await down.close();
    await rm(blobDir, { recursive: true, force: true });
  });
  const adapter = builtInAdapters.get('clock-in');
  if (!adapter) throw new Error('no clock-in adapter');
  const deps = {
    resolveAdapter: async () => ({ kind: 'built_in' as const, adapter }),
    featureSql: () => down.sql,
    featureBlobs: new LocalBlobStore(blobDir),
    log: pino({ level: 'silent' }),
    config: { taskTimeoutMs: 5_000 },
  };
  // What the assembly passes: the deletion and its erased task, as their rows hold them.
  const request = { id: randomUUID(), tenantId: 'acme', subjectAccountId: 'alice' } as RequestRow;
  const erased = { feature: 'clock-in', status: 'completed', outcome: [{ dataset: 'punches', deleted: 3, anonymized: 0, kept: 0, items: [] }] } as unknown as TaskRow;
  const before = await rescanAfterErasure(deps, request, [erased], false).catch((err: unknown) => err);
  t.equal(unavailable(before), 'database', 'before the last attempt: the outage fails the attempt, to be waited out');
  const last = await rescanAfterErasure(deps, request, [erased], true);
  t.match(last.get('clock-in'), { status: 'failed' }, 'the last attempt records the scan as failed, in the receipt');
});
