import t from 'tap';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { auth, createRequest, startSystem, subjectToken, waitForEnd } from './helper.js';
import { ZipFile } from './zip.js';
import { SYSTEM_ACTOR } from '../src/auth/principal.js';

// Retry from where it failed: only the failed tasks run again, and the result is rebuilt from the
// kept partials and the new ones. Driven through the HTTP API and the real worker.
const sys = await startSystem(t);
const { app, keys, ctx } = sys;
const sql = ctx.database.sql;

const post = (url: string, payload?: object, key = keys.acme) =>
  app.inject({ method: 'POST', url, headers: auth(key), ...(payload ? { payload } : {}) });

/** A feature's store fails for real while its table is away (renamed), and works again once it is back. */
async function breakFeature(table: string) {
  const [schema, name] = table.split('.') as [string, string];
  await sql.unsafe(`alter table ${schema}.${name} rename to ${name}_away`);
  let restored = false;
  return async () => {
    if (restored) return;
    restored = true;
    await sql.unsafe(`alter table ${schema}.${name}_away rename to ${name}`);
  };
}

/** The files the results store holds under a prefix (work/<id> or results/<id>), relative to it. */
async function filesUnder(prefix: string): Promise<string[]> {
  const dir = path.join(ctx.config.resultsDir, prefix);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

/** Waits (a few seconds at most) for what the assembly does right after it closed the request. */
async function settled(check: () => Promise<boolean>) {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 100));
}

async function report(id: string) {
  const res = await app.inject({ method: 'GET', url: `/v1/requests/${id}/report`, headers: auth(keys.acme) });
  if (res.statusCode !== 200) throw new Error(`report: ${res.statusCode} ${res.body}`);
  return new ZipFile(res.rawPayload);
}

async function started(id: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const e of await ctx.repo.events(id)) if (e.kind === 'task_started' && e.feature) counts[e.feature] = (counts[e.feature] ?? 0) + 1;
  return counts;
}

const taskOf = (request: { tasks: { feature: string; status: string }[] }, feature: string) =>
  request.tasks.find((x) => x.feature === feature);

/** A request of the given type ending partially_completed because clock-in's store fails. */
async function partlyFailed(body: object) {
  const restore = await breakFeature('clock_in.records');
  try {
    const created = await createRequest(sys, body);
    return await waitForEnd(sys, created.id);
  } finally {
    await restore();
  }
}

t.test('an export with a failing feature, retried: only that feature runs again, the result holds all', async (t) => {
  const features = ['im', 'calendar', 'clock-in'];
  const partial = await partlyFailed({ type: 'export', subject: { accountId: 'bob' }, features });
  t.equal(partial.status, 'partially_completed');
  t.equal(taskOf(partial, 'clock-in')?.status, 'failed');
  const kept = new Set((await filesUnder(`work/${partial.id}`)).map((f) => f.split('.ndjson')[0]));
  t.ok(kept.has('im') && kept.has('calendar'), 'the partials of the completed tasks are kept');
  const before = await report(partial.id);
  const oldResult = (await sql`select result_sha256 from requests where id = ${partial.id}`)[0]!.result_sha256 as string;
  t.notOk(before.names().some((n) => n.startsWith('clock-in/') && n.endsWith('.json')), 'no clock-in data in the first result');
  const startedBefore = await started(partial.id);

  const retried = await post(`/v1/requests/${partial.id}/retry`);
  t.equal(retried.statusCode, 202, retried.body);
  t.equal(retried.json().id, partial.id);
  t.match(retried.json().status, /^(queued|processing|completed)$/);
  t.equal(retried.json().dueAt, partial.dueAt, 'the deadline keeps its due date');

  const done = await waitForEnd(sys, partial.id);
  t.equal(done.status, 'completed');
  t.equal(taskOf(done, 'clock-in')?.status, 'completed');
  const startedAfter = await started(partial.id);
  t.equal(startedAfter['clock-in'], (startedBefore['clock-in'] ?? 0) + 1, 'clock-in started once more');
  t.equal(startedAfter.im, startedBefore.im, 'im did not run again');
  t.equal(startedAfter.calendar, startedBefore.calendar, 'calendar did not run again');

  const after = await report(partial.id);
  for (const name of ['im/messages.json', 'calendar/events.json']) {
    t.ok(before.names().includes(name), `${name} was in the first result`);
    t.same(after.json(name), before.json(name), `${name}: the kept data, as before`);
  }
  const [clockIns] = await sql`select count(*)::int as n from clock_in.records where tenant_id = 'acme' and account_id = 'bob'`;
  t.ok(clockIns!.n > 0, 'bob has clock-ins');
  t.equal(after.json('clock-in/records.json').length, clockIns!.n, "the retried feature's data is in the result");

  const [row] = await sql`select result_key, result_sha256 from requests where id = ${partial.id}`;
  t.not(row!.result_sha256, oldResult, 'a new result is on record');
  await settled(async () => (await filesUnder(`work/${partial.id}`)).length === 0);
  const parts = (await ctx.repo.parts(partial.id)).map((p) => p.key);
  const onRecord = (parts.length > 0 ? parts : [row!.result_key as string]).map((k) => k.slice(`results/${partial.id}/`.length)).sort();
  t.same(await filesUnder(`results/${partial.id}`), onRecord, 'only the new result is in the store');
  t.same(await filesUnder(`work/${partial.id}`), [], 'the work files are gone once the retry succeeded');

  const events = (await ctx.repo.events(partial.id)).filter((e) => e.kind === 'retry_requested');
  t.equal(events.length, 1);
  t.match(events[0], { actorType: 'api_key', detail: { features: ['clock-in'] } });
});

t.test('retry refuses what cannot be retried', async (t) => {
  const done = await waitForEnd(sys, (await createRequest(sys, { type: 'access', subject: { accountId: 'carol' }, features: ['im'] })).id);
  t.equal(done.status, 'completed');
  const completed = await post(`/v1/requests/${done.id}/retry`);
  t.equal(completed.statusCode, 409);
  t.match(completed.headers['content-type'], /application\/problem\+json/);
  t.match(completed.json(), { type: 'urn:dsar:problem:not-retryable', detail: /completed/ });

  // partially_completed without a failed task (not one the worker writes, but the rule holds).
  await sql`update requests set status = 'partially_completed' where id = ${done.id}`;
  const nothing = await post(`/v1/requests/${done.id}/retry`);
  t.equal(nothing.statusCode, 409);
  t.match(nothing.json(), { type: 'urn:dsar:problem:not-retryable', detail: /no failed task/ });
  await sql`update requests set status = 'completed' where id = ${done.id}`;

  t.equal((await post(`/v1/requests/${done.id}/retry`, undefined, keys.globex)).statusCode, 404, "another tenant's request");
  const subject = await subjectToken(sys, 'acme', 'carol');
  t.equal((await post(`/v1/requests/${done.id}/retry`, undefined, subject)).statusCode, 403, 'not for subjects');
  t.equal((await post('/v1/requests/retry', {}, subject)).statusCode, 403, 'bulk not for subjects');
  const unknown = await post('/v1/requests/retry', { feature: 'teleport' });
  t.equal(unknown.statusCode, 400, 'an unknown feature is refused like elsewhere');
  t.equal((await post('/v1/requests/retry', { status: ['completed'] })).statusCode, 400, 'only failed statuses');
  for (const time of ['2026-06-30T23:59:60Z', '0000-01-01T00:00:00Z']) {
    const odd = await post('/v1/requests/retry', { createdAfter: time });
    t.equal(odd.statusCode, 400, `${time}: a date-time Postgres does not take`);
    t.match(odd.json(), { errors: [{ field: '/createdAfter' }] });
  }
});

t.test('a retry while the subject has another open request of the type is refused', async (t) => {
  const partial = await partlyFailed({ type: 'access', subject: { accountId: 'ivan' }, features: ['im', 'clock-in'] });
  t.equal(partial.status, 'partially_completed');
  const approval = (access: string) =>
    app.inject({ method: 'PUT', url: '/v1/tenant/approval', headers: auth(keys.acme), payload: { access, export: 'auto', deletion: 'review', release: 'auto' } });
  t.equal((await approval('review')).statusCode, 200);
  const open = await post('/v1/requests', { type: 'access', subject: { accountId: 'ivan' }, features: ['im'], verification: { method: 'sso', note: 'signed in' } });
  await approval('auto');
  t.equal(open.json().status, 'awaiting_approval');
  const refused = await post(`/v1/requests/${partial.id}/retry`);
  t.equal(refused.statusCode, 409);
  t.match(refused.json(), { type: 'urn:dsar:problem:not-retryable', detail: /another open access request/ });
  t.equal((await post('/v1/requests/retry', { feature: 'clock-in' })).json().retried, 0, 'skipped in bulk');
  const row = (await app.inject({ method: 'GET', url: `/v1/requests/${partial.id}`, headers: auth(keys.acme) })).json();
  t.equal(row.status, 'partially_completed', 'unchanged');
  t.equal(taskOf(row, 'clock-in')?.status, 'failed', 'its task too');
  t.equal((await post(`/v1/requests/${open.json().id}/cancel`)).statusCode, 200);
  t.equal((await post(`/v1/requests/${partial.id}/retry`)).statusCode, 202, 'retried once the other one ended');
  t.equal((await waitForEnd(sys, partial.id)).status, 'completed');
});

t.test('a retry whose enqueue was lost (Redis down, a crash) is enqueued by the reconciler', async (t) => {
  const partial = await partlyFailed({ type: 'access', subject: { accountId: 'heidi' }, features: ['im', 'clock-in'] });
  // The request moved, its flow never enqueued: as after a crash between the two.
  const moved = await ctx.repo.retry(partial.id, {}, SYSTEM_ACTOR);
  t.ok(moved && moved !== 'open-request' && moved.request.status === 'queued');
  await sql`update requests set updated_at = now() - interval '1 hour' where id = ${partial.id}`;
  t.ok((await sys.worker.reconcile()) >= 1);
  const done = await waitForEnd(sys, partial.id);
  t.equal(done.status, 'completed');
  t.equal(taskOf(done, 'clock-in')?.status, 'completed');
});

t.test('bulk retry by feature and by creation time, in the tenant only', async (t) => {
  const restoreClockIn = await breakFeature('clock_in.records');
  const restoreCalendar = await breakFeature('calendar.events');
  let byClockIn: { id: string; createdAt: string; status: string };
  let byCalendar: { id: string; createdAt: string; status: string };
  try {
    byClockIn = await waitForEnd(sys, (await createRequest(sys, { type: 'access', subject: { accountId: 'dave' }, features: ['im', 'clock-in'] })).id);
    byCalendar = await waitForEnd(sys, (await createRequest(sys, { type: 'access', subject: { accountId: 'erin' }, features: ['im', 'calendar'] })).id);
  } finally {
    await restoreClockIn();
    await restoreCalendar();
  }
  t.equal(byClockIn.status, 'partially_completed');
  t.equal(byCalendar.status, 'partially_completed');

  const other = await post('/v1/requests/retry', {}, keys.globex);
  t.same(other.json(), { retried: 0, ids: [], truncated: false }, "another tenant's bulk retry finds none of acme's");
  const failedOnly = await post('/v1/requests/retry', { status: ['failed'] });
  t.equal(failedOnly.json().retried, 0, 'neither is failed');

  const clockIn = await post('/v1/requests/retry', { feature: 'clock-in' });
  t.equal(clockIn.statusCode, 202, clockIn.body);
  t.same(clockIn.json(), { retried: 1, ids: [byClockIn.id], truncated: false });
  t.equal((await waitForEnd(sys, byClockIn.id)).status, 'completed');
  const untouched = (await app.inject({ method: 'GET', url: `/v1/requests/${byCalendar.id}`, headers: auth(keys.acme) })).json();
  t.equal(untouched.status, 'partially_completed', 'a request failed on another feature is left alone');

  const earlier = await post('/v1/requests/retry', { createdBefore: byCalendar.createdAt });
  t.equal(earlier.json().retried, 0, 'created before it: none left to retry');
  const range = await post('/v1/requests/retry', {
    status: ['partially_completed'],
    createdAfter: new Date(Date.parse(byCalendar.createdAt) - 1).toISOString(),
    createdBefore: new Date(Date.parse(byCalendar.createdAt) + 1).toISOString(),
  });
  t.same(range.json(), { retried: 1, ids: [byCalendar.id], truncated: false });
  const done = await waitForEnd(sys, byCalendar.id);
  t.equal(done.status, 'completed');
  t.equal(taskOf(done, 'calendar')?.status, 'completed');
  const again = await post('/v1/requests/retry', {});
  t.equal(again.json().retried, 0, 'nothing left that failed');
});

t.test('a deletion retried erases what failed, and its receipt then covers all', async (t) => {
  // An earlier access result of the same subject that failed in part: its kept work files go when the deletion erases it.
  const access = await partlyFailed({ type: 'access', subject: { accountId: 'frank' }, features: ['im', 'clock-in'] });
  t.equal(access.status, 'partially_completed');
  t.ok((await filesUnder(`work/${access.id}`)).length > 0, 'its partials are kept for a retry');

  const deletion = await partlyFailed({ type: 'deletion', subject: { accountId: 'frank' }, features: ['im', 'clock-in'] });
  t.equal(deletion.status, 'partially_completed');
  t.equal(taskOf(deletion, 'clock-in')?.status, 'failed');
  const erased = (await app.inject({ method: 'GET', url: `/v1/requests/${access.id}`, headers: auth(keys.acme) })).json();
  t.equal(erased.status, 'erased', 'the earlier access result is erased');
  t.same(await filesUnder(`work/${access.id}`), [], 'with its kept work files');
  const [left] = await sql`select count(*)::int as n from clock_in.records where tenant_id = 'acme' and account_id = 'frank'`;
  t.ok(left!.n > 0, 'the clock-ins are still there');

  t.equal((await post(`/v1/requests/${deletion.id}/retry`)).statusCode, 202);
  const done = await waitForEnd(sys, deletion.id);
  t.equal(done.status, 'completed');
  const [gone] = await sql`select count(*)::int as n from clock_in.records where tenant_id = 'acme' and account_id = 'frank'`;
  t.equal(gone!.n, 0, 'the clock-ins are erased');
  const receipt = await app.inject({ method: 'GET', url: `/v1/requests/${deletion.id}/report`, headers: auth(keys.acme) });
  t.equal(receipt.statusCode, 200);
  t.equal(receipt.json().status, 'completed');
  const features = receipt.json().features as { id: string; status: string }[];
  t.same(features.map((f) => [f.id, f.status]).sort(), [['clock-in', 'completed'], ['im', 'completed']], 'the receipt covers every feature');
  t.same(await filesUnder(`results/${deletion.id}`), [`dsar-deletion-receipt-${deletion.id}.json`], 'one receipt, the new one');
});

t.test('the kept work files go when the result expires', async (t) => {
  const partial = await partlyFailed({ type: 'access', subject: { accountId: 'grace' }, features: ['im', 'clock-in'] });
  t.equal(partial.status, 'partially_completed');
  t.ok((await filesUnder(`work/${partial.id}`)).length > 0, 'kept for a retry');
  const later = new Date(Date.now() + (ctx.config.resultTtlDays + 1) * 24 * 60 * 60 * 1000);
  t.ok((await ctx.delivery.expireResults(later)) >= 1);
  const expired = (await app.inject({ method: 'GET', url: `/v1/requests/${partial.id}`, headers: auth(keys.acme) })).json();
  t.equal(expired.status, 'expired');
  t.same(await filesUnder(`work/${partial.id}`), [], 'the work files are deleted with the result');
  t.same(await filesUnder(`results/${partial.id}`), []);
  const retry = await post(`/v1/requests/${partial.id}/retry`);
  t.equal(retry.statusCode, 409);
  t.match(retry.json(), { type: 'urn:dsar:problem:not-retryable', detail: /expired/ });
});

t.test('a retried request cancelled before it was built again keeps no result', async (t) => {
  const partial = await partlyFailed({ type: 'access', subject: { accountId: 'judy' }, features: ['im', 'clock-in'] });
  t.equal(partial.status, 'partially_completed');
  // The clock-in store is locked, so that the retried task waits in it while the request is cancelled.
  let unlock!: () => void;
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const lock = sql.begin(async (tx) => {
    await tx`lock table clock_in.records in access exclusive mode`;
    locked();
    await new Promise<void>((resolve) => (unlock = resolve));
  });
  await isLocked;
  try {
    t.equal((await post(`/v1/requests/${partial.id}/retry`)).statusCode, 202);
    const cancelled = await post(`/v1/requests/${partial.id}/cancel`);
    t.equal(cancelled.statusCode, 200);
    t.equal(cancelled.json().status, 'cancelled');
  } finally {
    unlock();
    await lock;
  }
  await settled(async () => (await filesUnder(`results/${partial.id}`)).length + (await filesUnder(`work/${partial.id}`)).length === 0);
  t.same(await filesUnder(`results/${partial.id}`), [], 'the earlier result is deleted');
  t.same(await filesUnder(`work/${partial.id}`), [], 'and the work files');
  const report = await app.inject({ method: 'GET', url: `/v1/requests/${partial.id}/report`, headers: auth(keys.acme) });
  t.equal(report.statusCode, 404, 'nothing to download');
});

t.test('where the tenant reviews results, a retried result waits for release again', async (t) => {
  const approval = (release: string) =>
    app.inject({ method: 'PUT', url: '/v1/tenant/approval', headers: auth(keys.acme), payload: { access: 'auto', export: 'auto', deletion: 'review', release } });
  t.equal((await approval('review')).statusCode, 200);
  const restore = await breakFeature('clock_in.records');
  let id: string;
  try {
    id = (await createRequest(sys, { type: 'access', subject: { accountId: 'kate' }, features: ['im', 'clock-in'] })).id;
    for (let i = 0; i < 600; i++) {
      const status = (await app.inject({ method: 'GET', url: `/v1/requests/${id}`, headers: auth(keys.acme) })).json().status;
      if (status === 'awaiting_release') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await restore();
    await approval('auto');
  }
  t.equal((await post(`/v1/requests/${id}/release`, {})).statusCode, 200);
  const released = await waitForEnd(sys, id);
  t.equal(released.status, 'partially_completed');
  t.ok(released.releasedAt);

  t.equal((await post(`/v1/requests/${id}/retry`)).statusCode, 202);
  let again: { status: string; releasedAt?: string; tasks: { feature: string; status: string }[] } | undefined;
  for (let i = 0; i < 600; i++) {
    again = (await app.inject({ method: 'GET', url: `/v1/requests/${id}`, headers: auth(keys.acme) })).json();
    if (again?.status === 'awaiting_release') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(again?.status, 'awaiting_release', 'the result built again is reviewed before the subject gets it');
  t.notOk(again?.releasedAt, 'the earlier release does not stand for it');
  t.equal(again && taskOf(again, 'clock-in')?.status, 'completed');
  t.equal((await post(`/v1/requests/${id}/release`, {})).statusCode, 200);
  t.equal((await waitForEnd(sys, id)).status, 'completed');
  await settled(async () => (await filesUnder(`work/${id}`)).length === 0);
  t.same(await filesUnder(`work/${id}`), [], 'the work files go once it completed');
});
