import t from 'tap';
import { readFileSync } from 'node:fs';
import { auth, createRequest, startSystem, VERIFIED } from './helper.js';
import { catalogue } from '../src/catalogue/catalogue.js';
import { Queue } from 'bullmq';
import { PLAN_QUEUE, planJobId } from '../src/queue/flow.js';

// The API as callers meet it, without a worker: requests stay queued, so every answer is stable.
const sys = await startSystem(t, {}, { worker: false });
const { app, keys } = sys;

const post = (payload: string | object, headers: Record<string, string> = auth(keys.acme)) =>
  app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : { verification: VERIFIED, ...payload },
  });

/** Ends the subject's open request of that type, so that the next one is new rather than the same. */
async function cancelOpen(accountId: string, type: string) {
  const list = (await app.inject({ method: 'GET', url: `/v1/requests?accountId=${accountId}&type=${type}`, headers: auth(keys.acme) })).json();
  for (const r of list.items as { id: string }[]) {
    await app.inject({ method: 'POST', url: `/v1/requests/${r.id}/cancel`, headers: auth(keys.acme) });
  }
}

t.test('auth: every /v1 route needs a valid key', async (t) => {
  for (const headers of [{}, { authorization: 'Bearer nope-nope-nope' }, { authorization: `Basic ${keys.acme}` }]) {
    const res = await app.inject({ method: 'GET', url: '/v1/requests', headers });
    t.equal(res.statusCode, 401);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(res.json(), { status: 401, title: 'Unauthorized' });
  }
  t.equal((await app.inject({ method: 'GET', url: '/v1/catalogue' })).statusCode, 401);
  // A bad key is refused before the body is even looked at.
  t.equal((await post('{not json', {})).statusCode, 401);
});

t.test('creating a request', async (t) => {
  const res = await post({ type: 'access', subject: { accountId: 'alice' } });
  t.equal(res.statusCode, 202);
  const body = res.json();
  t.equal(res.headers.location, `/v1/requests/${body.id}`);
  t.match(body, { type: 'access', status: 'queued', subject: { accountId: 'alice', identifiedBy: 'accountId' }, catalogueVersion: catalogue.version });
  t.same(body.features, catalogue.features.map((f) => f.id), 'defaults to every catalogue feature the tenant has, in catalogue order');
  const created = new Date(body.createdAt);
  const monthLater = new Date(created);
  monthLater.setUTCMonth(created.getUTCMonth() + 1);
  if (monthLater.getUTCDate() !== created.getUTCDate()) monthLater.setUTCDate(0); // the 31st: the end of a shorter month
  t.equal(body.dueAt, monthLater.toISOString(), 'due one calendar month after it was received (gdpr, the default regime)');
  t.equal(body.regime, 'gdpr');
  t.equal(body.tasks.length, 19);
  t.ok(body.tasks.every((task: { status: string }) => task.status === 'pending'));
  const read = await app.inject({ method: 'GET', url: `/v1/requests/${body.id}`, headers: auth(keys.acme) });
  t.same(read.json(), body, 'the answer is the request as a read shows it, its tasks in the same order');

  const some = (await post({ type: 'deletion', subject: { accountId: 'bob' }, features: ['im', 'calendar'] })).json();
  t.same(some.features, ['im', 'calendar']);
  t.same(some.tasks.map((task: { feature: string }) => task.feature).sort(), ['calendar', 'im']);
  t.same((await app.inject({ method: 'GET', url: `/v1/requests/${some.id}`, headers: auth(keys.acme) })).json(), some);
});

t.test('bad input gets a 4xx problem naming the field', async (t) => {
  const cases: Array<[string, string | object, number, string]> = [
    ['malformed JSON', '{"type": "access", ', 400, ''],
    ['unknown type', { type: 'rectification', subject: { accountId: 'alice' } }, 400, '/type'],
    ['unknown feature', { type: 'access', subject: { accountId: 'alice' }, features: ['im', 'teleport'] }, 400, '/features/1'],
    ['missing identifier', { type: 'access', subject: {} }, 400, '/subject'],
    ['empty accountId', { type: 'access', subject: { accountId: '' } }, 400, '/subject/accountId'],
    ['blank accountId', { type: 'access', subject: { accountId: '   ' } }, 400, '/subject/accountId'],
    ['missing subject', { type: 'access' }, 400, '/subject'],
    ['unknown property', { type: 'access', subject: { accountId: 'a' }, extra: 1 }, 400, '/extra'],
    ['empty features', { type: 'access', subject: { accountId: 'a' }, features: [] }, 400, '/features'],
  ];
  for (const [name, payload, status, field] of cases) {
    const res = await post(payload);
    t.equal(res.statusCode, status, name);
    t.match(res.headers['content-type'], /^application\/problem\+json/, name);
    const problem = res.json();
    t.equal(problem.status, status, name);
    if (field) t.ok(problem.errors?.some((e: { field: string }) => e.field === field), `${name} names ${field}: ${res.body}`);
  }
  const big = await post({ type: 'access', subject: { accountId: 'x'.repeat(100_000) } });
  t.equal(big.statusCode, 413);
  t.match(big.json(), { status: 413, title: 'Payload too large' });
});

t.test('unknown or foreign request ids answer 404', async (t) => {
  await cancelOpen('alice', 'access');
  const mine = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' } });
  for (const url of [
    '/v1/requests/00000000-0000-4000-8000-000000000000',
    '/v1/requests/not-a-uuid',
    '/v1/requests/..%2F..%2Fetc%2Fpasswd/report',
  ]) {
    const res = await app.inject({ method: 'GET', url, headers: auth(keys.acme) });
    t.equal(res.statusCode, 404, url);
  }
  for (const url of [`/v1/requests/${mine.id}`, `/v1/requests/${mine.id}/report`]) {
    const res = await app.inject({ method: 'GET', url, headers: auth(keys.globex) });
    t.equal(res.statusCode, 404, `another tenant cannot see ${url}`);
  }
  const cancel = await app.inject({ method: 'POST', url: `/v1/requests/${mine.id}/cancel`, headers: auth(keys.globex) });
  t.equal(cancel.statusCode, 404);
  const list = (await app.inject({ method: 'GET', url: '/v1/requests', headers: auth(keys.globex) })).json();
  t.notOk(list.items.some((r: { id: string }) => r.id === mine.id), "another tenant's list does not show it");
});

t.test('the report is a clear 409 until the request ends', async (t) => {
  const req = await createRequest(sys, { type: 'export', subject: { accountId: 'bob' } });
  const res = await app.inject({ method: 'GET', url: `/v1/requests/${req.id}/report`, headers: auth(keys.acme) });
  t.equal(res.statusCode, 409);
  t.match(res.json(), { title: 'Result not ready', detail: /queued/ });
});

t.test('cancel', async (t) => {
  const req = await createRequest(sys, { type: 'access', subject: { accountId: 'carol' } });
  const res = await app.inject({ method: 'POST', url: `/v1/requests/${req.id}/cancel`, headers: auth(keys.acme) });
  t.equal(res.statusCode, 200);
  t.equal(res.json().status, 'cancelled');
  t.ok(res.json().tasks.every((task: { status: string }) => task.status === 'cancelled'));
  const again = await app.inject({ method: 'POST', url: `/v1/requests/${req.id}/cancel`, headers: auth(keys.acme) });
  t.equal(again.statusCode, 409);
  const report = await app.inject({ method: 'GET', url: `/v1/requests/${req.id}/report`, headers: auth(keys.acme) });
  t.equal(report.statusCode, 404, 'a cancelled request never has a result');
});

t.test('list: filters and cursor pagination', async (t) => {
  const made = [];
  for (let i = 0; i < 5; i++) {
    made.push(await createRequest(sys, { type: 'export', subject: { accountId: 'dave' } }));
    // One open export per subject: the next one is a new request once this one has ended.
    await app.inject({ method: 'POST', url: `/v1/requests/${made.at(-1).id}/cancel`, headers: auth(keys.acme) });
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `/v1/requests?accountId=dave&type=export&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
    const page = (await app.inject({ method: 'GET', url, headers: auth(keys.acme) })).json();
    t.ok(page.items.length <= 2);
    seen.push(...page.items.map((r: { id: string }) => r.id));
    cursor = page.nextCursor;
  } while (cursor);
  t.same(seen, made.map((r) => r.id).reverse(), 'every request once, newest first');

  const queued = (await app.inject({ method: 'GET', url: '/v1/requests?status=cancelled', headers: auth(keys.acme) })).json();
  t.ok(queued.items.length >= 1 && queued.items.every((r: { status: string }) => r.status === 'cancelled'));
  const bad = await app.inject({ method: 'GET', url: '/v1/requests?status=done', headers: auth(keys.acme) });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().errors[0].field, '/status');
  const badCursor = await app.inject({ method: 'GET', url: '/v1/requests?cursor=zzz', headers: auth(keys.acme) });
  t.equal(badCursor.statusCode, 400);
});

t.test('catalogue, health, docs', async (t) => {
  const cat = await app.inject({ method: 'GET', url: '/v1/catalogue', headers: auth(keys.acme) });
  t.equal(cat.statusCode, 200);
  t.same(cat.json(), catalogue, 'serves the catalogue exactly');
  t.same((await app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
  t.same((await app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  t.equal((await app.inject({ method: 'GET', url: '/docs' })).statusCode < 400, true);
  const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  t.equal(spec.openapi, '3.1.0');
  t.ok(spec.paths['/v1/requests'].post && spec.paths['/v1/requests/{id}/report'].get);
  const committed = JSON.parse(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8'));
  t.same(spec, committed, 'openapi/openapi.json matches the routes (regenerate with npm run openapi)');
});

t.test('audit trail: every step is recorded without personal data', async (t) => {
  const req = await createRequest(sys, { type: 'access', subject: { accountId: 'erin' } });
  const events = await sys.ctx.repo.events(req.id);
  t.same(events.map((e) => e.kind), ['received', 'queued']);
  t.notMatch(JSON.stringify(events.map((e) => e.detail)), /erin/);
});

t.test('the subject can be named by email or mobile, resolved to one account', async (t) => {
  await cancelOpen('alice', 'access');
  const byEmail = await post({ type: 'access', subject: { email: 'ALICE@acme.example' } });
  t.equal(byEmail.statusCode, 202, byEmail.body);
  t.same(byEmail.json().subject, { accountId: 'alice', identifiedBy: 'email' });
  await cancelOpen('alice', 'access');
  const byMobile = await post({ type: 'access', subject: { mobile: '+49 (151) 2345-1001' } });
  t.equal(byMobile.statusCode, 202, byMobile.body);
  t.same(byMobile.json().subject, { accountId: 'alice', identifiedBy: 'mobile' });

  const none = await post({ type: 'access', subject: { email: 'nobody@acme.example' } });
  t.equal(none.statusCode, 422);
  t.match(none.json(), { title: 'Subject not found', errors: [{ field: '/subject/email' }] });
  const several = await post({ type: 'deletion', subject: { email: 'support@acme.example' } });
  t.equal(several.statusCode, 422);
  t.match(several.json(), { title: 'Subject ambiguous', detail: /2 accounts/, errors: [{ field: '/subject/email' }] });
  const otherTenant = await post({ type: 'access', subject: { email: 'alice@acme.example' } }, auth(keys.globex));
  t.equal(otherTenant.statusCode, 422, "another tenant's directory is never searched");

  for (const subject of [{}, { accountId: 'alice', email: 'alice@acme.example' }, { email: 'not-an-email' }, { mobile: 'call me' }]) {
    const res = await post({ type: 'access', subject });
    t.equal(res.statusCode, 400, JSON.stringify(subject));
    t.ok(res.json().errors.every((e: { field: string }) => e.field.startsWith('/subject')), res.body);
  }
});

t.test('submissions taken together are handed to the queue together, each once', async (t) => {
  const subjects = Array.from({ length: 25 }, (_, i) => `together-${i}`);
  // The last subject asks twice at once: one request, the other ask answered with it.
  const answers = await Promise.all([...subjects, subjects[0]].map((accountId) => post({ type: 'access', subject: { accountId }, features: ['im', 'clock-in'] })));
  t.same(answers.map((r) => r.statusCode).sort(), [...Array(25).fill(202), 200].sort(), 'each new one taken; the same ask twice: one of them');
  const firsts = answers.filter((r) => r.json().subject.accountId === subjects[0]).map((r) => r.json().id);
  t.equal(new Set(firsts).size, 1, 'the same request for both asks');
  const queue = new Queue(PLAN_QUEUE, { connection: sys.ctx.redis, prefix: sys.ctx.config.queuePrefix });
  t.teardown(() => queue.close());
  for (const res of answers.filter((r) => r.statusCode === 202)) {
    const body = res.json();
    t.equal(body.status, 'queued', 'answered queued: BullMQ holds its plan job');
    t.equal(await queue.getJobState(planJobId(body.id)), 'waiting', 'its plan job is in Redis, once (a worker adds its flow)');
    const kinds = (await sys.ctx.repo.events(body.id)).map((e) => e.kind).filter((k) => k !== 'duplicate_received');
    t.same(kinds, ['received', 'queued'], 'recorded once each');
  }
});
