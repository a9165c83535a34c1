import t from 'tap';
import { auth, startSystem, VERIFIED } from './helper.js';
import { AppError } from '../src/errors.js';
import { SYSTEM_ACTOR, type Principal } from '../src/auth/principal.js';
import { TenantService } from '../src/tenants/tenant-service.js';
import { ApprovalService } from '../src/tenants/approval.js';
import { ExpiringCache } from '../src/cache.js';

// Verification, approval, asking the subject, duplicates: without a worker, so nothing moves on its own.
const sys = await startSystem(t, {}, { worker: false });
const { app, keys, ctx } = sys;
let now = new Date('2026-03-02T09:00:00Z');
ctx.clock = () => now;

const post = (url: string, payload?: object, key = keys.acme) => app.inject({ method: 'POST', url, headers: auth(key), ...(payload ? { payload } : {}) });
const get = (url: string, key = keys.acme) => app.inject({ method: 'GET', url, headers: auth(key) });
const kinds = async (id: string) => (await get(`/v1/requests/${id}/events`)).json().items.map((e: { kind: string }) => e.kind);
const ask = (accountId: string, type = 'deletion') => post('/v1/requests', { type, subject: { accountId }, verification: VERIFIED });

t.test('a key must say how it verified the subject', async (t) => {
  const res = await post('/v1/requests', { type: 'access', subject: { accountId: 'rv-0' } });
  t.equal(res.statusCode, 422);
  t.match(res.json(), { type: 'urn:dsar:problem:verification-required', errors: [{ field: '/verification' }] });
  t.equal((await post('/v1/requests', { type: 'access', subject: { accountId: 'rv-0' }, verification: { method: 'telepathy', note: 'x' } })).statusCode, 400);
  t.equal((await post('/v1/requests', { type: 'access', subject: { accountId: 'rv-0' }, verification: { method: 'sso' } })).statusCode, 400, 'with a note');
  t.equal((await post('/v1/requests', { type: 'access', verification: VERIFIED })).statusCode, 400, 'a key names the subject');
  const made = await post('/v1/requests', { type: 'access', subject: { accountId: 'rv-0' }, verification: { method: 'id_document', note: 'passport seen' } });
  t.equal(made.statusCode, 202);
  t.match(made.json(), {
    status: 'queued',
    requestedBy: { type: 'api_key', name: 'test' },
    verification: { method: 'id_document', note: 'passport seen' },
  });
});

t.test('approval per tenant and type; deletion is reviewed by default', async (t) => {
  t.same((await get('/v1/tenant/approval')).json(), { access: 'auto', export: 'auto', deletion: 'review', release: 'auto' });
  const put = await app.inject({
    method: 'PUT',
    url: '/v1/tenant/approval',
    headers: auth(keys.acme),
    payload: { access: 'review', export: 'auto', deletion: 'review', release: 'auto' },
  });
  t.same(put.json(), { access: 'review', export: 'auto', deletion: 'review', release: 'auto' });
  t.same((await get('/v1/tenant/approval', keys.globex)).json().access, 'auto', "another tenant's setting is its own");
  t.match((await get('/v1/audit?kind=approval_changed')).json().items, [{ actor: { type: 'api_key' }, detail: { access: 'review' } }]);
  const access = (await ask('rv-1', 'access')).json();
  t.equal(access.status, 'awaiting_approval');
  await app.inject({ method: 'PUT', url: '/v1/tenant/approval', headers: auth(keys.acme), payload: { access: 'auto', export: 'auto', deletion: 'review', release: 'auto' } });
});

t.test("a tenant's settings are taken for TENANT_CACHE_MS; a change through this process is seen at once, elsewhere within it", async (t) => {
  let clock = 1_000_000;
  const cacheMs = 5000;
  const options = { approval: (id: string) => ctx.approval.get(id), noticeVersion: (id: string) => ctx.notices.currentVersion(id), cacheMs, now: () => clock };
  // Two API processes on one database, each with its cache; the change goes through the first.
  const here = new TenantService(ctx.database.db, options);
  const there = new TenantService(ctx.database.db, options);
  const approval = new ApprovalService(ctx.database.db, here);
  const settings = { access: 'auto', export: 'auto', deletion: 'review', release: 'auto' } as const;
  t.match(await here.intake('globex'), { approval: settings, defaultRegime: 'gdpr' });
  t.equal((await there.intake('globex'))?.approval.export, 'auto');
  await approval.put('globex', { ...settings, export: 'review' }, SYSTEM_ACTOR);
  t.teardown(() => approval.put('globex', settings, SYSTEM_ACTOR));
  t.equal((await here.intake('globex'))?.approval.export, 'review', 'changed here: seen at once');
  clock += cacheMs - 1;
  t.equal((await there.intake('globex'))?.approval.export, 'auto', 'the other process may take what it read until it is TENANT_CACHE_MS old');
  clock += 1;
  t.equal((await there.intake('globex'))?.approval.export, 'review', 'and reads it again from then on');
  t.equal(await here.intake('no-such-tenant'), undefined, 'an unknown tenant has none');

  const cache = new ExpiringCache<string, number>({ ttlMs: cacheMs, size: 1, now: () => clock });
  let finish: (value: number) => void = () => {};
  const underWay = cache.get('a', () => new Promise<number>((resolve) => (finish = resolve)));
  cache.forget('a');
  finish(1);
  t.equal(await underWay, 1);
  t.equal(await cache.get('a', async () => 2), 2, 'a read under way while its entry changed is not remembered');
  t.equal(await cache.get('a', async () => 3), 2, 'the next one is');
  await cache.get('b', async () => 4);
  t.equal(await cache.get('a', async () => 5), 5, 'beyond its size, the least recently used is forgotten');
});

t.test('approve: the request runs only then', async (t) => {
  const created = await ask('rv-2');
  t.equal(created.statusCode, 202);
  const req = created.json();
  t.equal(req.status, 'awaiting_approval');
  t.ok(req.tasks.every((task: { status: string }) => task.status === 'pending'));
  t.same(await kinds(req.id), ['received', 'awaiting_approval'], 'not queued: nothing enqueued');

  const approved = await post(`/v1/requests/${req.id}/approve`);
  t.equal(approved.statusCode, 200);
  t.equal(approved.json().status, 'queued');
  const events = (await get(`/v1/requests/${req.id}/events`)).json().items;
  t.same(events.map((e: { kind: string }) => e.kind), ['received', 'awaiting_approval', 'approved', 'queued']);
  t.match(events[2], { actor: { type: 'api_key', name: 'test' } });
  t.match((await post(`/v1/requests/${req.id}/approve`)).json(), { status: 409, type: 'urn:dsar:problem:not-under-review' }, 'once');
  t.equal((await post(`/v1/requests/${req.id}/approve`, undefined, keys.globex)).statusCode, 404);
});

t.test('reject: with a reason shown on the request; nothing runs', async (t) => {
  const req = (await ask('rv-3')).json();
  t.equal((await post(`/v1/requests/${req.id}/reject`, { reason: 'because' })).statusCode, 400, 'a known reason');
  const rejected = await post(`/v1/requests/${req.id}/reject`, { reason: 'manifestly_unfounded', note: 'asked 12 times this week' });
  t.equal(rejected.statusCode, 200);
  t.match(rejected.json(), { status: 'rejected', rejection: { reason: 'manifestly_unfounded', note: 'asked 12 times this week' } });
  t.ok(rejected.json().completedAt);
  t.ok(rejected.json().tasks.every((task: { status: string }) => task.status === 'cancelled'));
  t.match((await get(`/v1/requests/${req.id}/events`)).json().items.at(-1), { kind: 'rejected', detail: { reason: 'manifestly_unfounded' } });
  t.equal((await post(`/v1/requests/${req.id}/approve`)).statusCode, 409, 'a rejected request is not approved');
  t.equal((await post(`/v1/requests/${req.id}/cancel`)).statusCode, 409, 'it has ended');
  t.equal((await ask('rv-3')).statusCode, 202, 'the subject may ask again: the rejected one is not open');
});

t.test('request-info pauses the deadline; respond resumes it, moved by the pause', async (t) => {
  const req = (await ask('rv-4')).json();
  t.equal(req.dueAt, '2026-04-02T09:00:00.000Z');
  const asked = await post(`/v1/requests/${req.id}/request-info`, { note: 'Which of your two accounts?' });
  t.match(asked.json(), { status: 'awaiting_subject', pausedAt: now.toISOString(), infoRequest: { note: 'Which of your two accounts?' } });
  t.equal((await post(`/v1/requests/${req.id}/request-info`, { note: 'again' })).statusCode, 409);
  now = new Date('2026-04-10T09:00:00Z');
  const overdue = (await get('/v1/requests?overdue=true')).json().items.map((r: { id: string }) => r.id);
  t.notOk(overdue.includes(req.id), 'a paused request is not overdue');
  now = new Date('2026-03-05T21:00:00Z');
  const answered = await post(`/v1/requests/${req.id}/respond`, { note: 'the work one' });
  t.equal(answered.statusCode, 200);
  t.match(answered.json(), { status: 'awaiting_approval', dueAt: '2026-04-05T21:00:00.000Z', infoRequest: { response: 'the work one' } });
  t.notOk('pausedAt' in answered.json());
  t.same((await kinds(req.id)).slice(-2), ['info_requested', 'subject_responded']);
  t.equal((await post(`/v1/requests/${req.id}/respond`, { note: 'more' })).statusCode, 409, 'only when asked');
  const again = await post(`/v1/requests/${req.id}/request-info`, { note: 'And your employee number?' });
  const rejected = await post(`/v1/requests/${req.id}/reject`, { reason: 'identity_not_verified' });
  t.equal(again.statusCode, 200);
  t.match(rejected.json(), { status: 'rejected', rejection: { reason: 'identity_not_verified' } }, 'a request waiting for the subject may be rejected');
  now = new Date('2026-03-02T09:00:00Z');
});

t.test('a second request while one is open is the same request', async (t) => {
  const first = await ask('rv-5', 'export');
  t.equal(first.statusCode, 202);
  const second = await ask('rv-5', 'export');
  t.equal(second.statusCode, 200, 'not taken twice');
  t.equal(second.json().id, first.json().id);
  t.equal(second.headers.location, `/v1/requests/${first.json().id}`);
  t.same(await kinds(first.json().id), ['received', 'queued', 'duplicate_received']);
  t.equal((await ask('rv-5', 'access')).statusCode, 202, 'another type is another request');
  // At once: one is written, the other answered with it.
  const [a, b] = await Promise.all([ask('rv-6', 'access'), ask('rv-6', 'access')]);
  t.same([a.statusCode, b.statusCode].sort(), [200, 202]);
  t.equal(a.json().id, b.json().id);
});

t.test("a subject's own deletion needs a recent login", async (t) => {
  const subject = (authTime: Date): Principal => ({ kind: 'subject', tenantId: 'acme', role: 'subject', subjectId: 'rv-7', authTime });
  const caller = (principal: Principal) => ({ principal, actor: { type: 'subject' as const, id: 'rv-7', name: null, ip: '198.51.100.1' } });
  const stale = subject(new Date(now.getTime() - 301_000));
  const refusal = async (made: Promise<unknown>) => made.then(() => undefined, (err: unknown) => (err instanceof AppError ? err.toProblem() : err));
  t.match(await refusal(ctx.requests.create({ type: 'deletion' }, caller(stale))), { status: 401, type: 'urn:dsar:problem:step-up-required' });
  const { request } = await ctx.requests.create({ type: 'access' }, caller(stale));
  t.match(request, { subject: { accountId: 'rv-7' }, verification: { method: 'subject_token' }, requestedBy: { type: 'subject', id: 'rv-7' } }, 'only deletion asks for it');
  const fresh = await ctx.requests.create({ type: 'deletion' }, caller(subject(new Date(now.getTime() - 60_000))));
  t.match(fresh.request, { status: 'awaiting_approval', subject: { accountId: 'rv-7' } });
  t.match(
    await refusal(ctx.requests.create({ type: 'export', subject: { accountId: 'someone-else' } }, caller(stale))),
    { status: 422, type: 'urn:dsar:problem:subject-not-own' },
    'about their own account only',
  );
});
