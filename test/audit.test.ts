import t from 'tap';
import { auth, createRequest, startSystem } from './helper.js';

// The audit trail: who did what, when and from where; append-only in the database itself.
const sys = await startSystem(t, {}, { worker: false });
const { app, keys, ctx } = sys;
const sql = ctx.database.sql;

const get = (url: string, key = keys.acme) => app.inject({ method: 'GET', url, headers: auth(key) });
const keyId = async (tenant: string) => (await sql`select id from api_keys where tenant_id = ${tenant}`)[0]!.id as string;

t.test("a request's events name the actor, the key and the address", async (t) => {
  const req = await createRequest(sys, { type: 'access', subject: { accountId: 'audit-alice' } });
  const cancelled = await app.inject({ method: 'POST', url: `/v1/requests/${req.id}/cancel`, headers: auth(keys.acme), remoteAddress: '203.0.113.7' });
  t.equal(cancelled.statusCode, 200);
  const res = await get(`/v1/requests/${req.id}/events`);
  t.equal(res.statusCode, 200);
  const events = res.json().items;
  t.same(
    events.map((e: { kind: string }) => e.kind),
    ['received', 'queued', 'cancelled'],
    'every step, oldest first',
  );
  const key = { type: 'api_key', id: await keyId('acme'), name: 'test' };
  t.match(events[0], { requestId: req.id, actor: key, detail: { type: 'access' } });
  t.match(events[1], { actor: { type: 'system', id: null, name: null, ip: null } }, 'queueing is the system');
  t.match(events[2], { actor: { ...key, ip: '203.0.113.7' } }, 'the cancel is the key, from its address');
  t.ok(events.every((e: { at: string }) => !Number.isNaN(Date.parse(e.at))));

  t.equal((await get(`/v1/requests/${req.id}/events`, keys.globex)).statusCode, 404, "another tenant's request is not found");
});

t.test('configuration changes are tenant events; GET /v1/audit filters and pages', async (t) => {
  const put = await app.inject({ method: 'PUT', url: '/v1/tenant/policy', headers: auth(keys.acme), payload: { sharedData: 'pseudonymized' } });
  t.equal(put.statusCode, 200);
  const feature = await app.inject({
    method: 'PUT',
    url: '/v1/tenant/features/im',
    headers: auth(keys.acme),
    payload: { enabled: true, adapter: 'manual' },
  });
  t.equal(feature.statusCode, 200);

  const policy = (await get('/v1/audit?kind=policy_changed')).json();
  t.equal(policy.items.length, 1);
  t.match(policy.items[0], { kind: 'policy_changed', actor: { type: 'api_key', id: await keyId('acme') }, detail: { sharedData: 'pseudonymized' } });
  t.notOk('requestId' in policy.items[0], 'a tenant event belongs to no request');
  const settings = (await get('/v1/audit?kind=feature_setting_changed')).json();
  t.match(settings.items, [{ feature: 'im', detail: { enabled: true, adapter: 'manual' } }]);

  const all = (await get('/v1/audit?limit=100')).json().items;
  t.ok(all.length >= 5);
  const ids = all.map((e: { id: string }) => Number(e.id));
  t.same(ids, [...ids].sort((a, b) => b - a), 'newest first');
  const pages: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: { id: string }[]; nextCursor: string | null } = (
      await get(`/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
    ).json();
    pages.push(...page.items.map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor);
  t.same(pages, all.map((e: { id: string }) => e.id), 'pages add up to the whole trail');

  // The system queued the request; the test's key was minted by the system too (as the CLI mints the first key).
  t.same((await get('/v1/audit?actorType=system')).json().items.map((e: { kind: string }) => e.kind), ['queued', 'api_key_created']);
  t.equal((await get(`/v1/audit?actorId=${await keyId('acme')}&limit=100`)).json().items.length, all.length - 2);
  const first = all.filter((e: { requestId?: string }) => e.requestId).at(-1);
  t.equal((await get(`/v1/audit?requestId=${first.requestId}`)).json().items.length, 3);
  t.equal((await get(`/v1/audit?to=${encodeURIComponent(all.at(-1).at)}`)).json().items.length, 0, 'to is exclusive');
  t.equal((await get(`/v1/audit?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).json().items.length, 0);
  const globex = (await get('/v1/audit', keys.globex)).json().items;
  t.same(globex.map((e: { kind: string }) => e.kind), ['api_key_created'], "another tenant's trail is its own (the minting of its key)");
  t.equal((await get('/v1/audit?cursor=bm9wZQ')).statusCode, 400, 'a foreign cursor is refused');
});

t.test('append-only in the database: UPDATE, DELETE and TRUNCATE fail', async (t) => {
  const [row] = await sql`select id from audit_events limit 1`;
  await t.rejects(sql`update audit_events set kind = 'forged' where id = ${row!.id}`, /append-only/);
  await t.rejects(sql`delete from audit_events where id = ${row!.id}`, /append-only/);
  await t.rejects(sql`truncate audit_events`, /append-only/);
  t.equal((await sql`select count(*)::int as n from audit_events where kind = 'forged'`)[0]!.n, 0);
  // Only events past their 24 months of retention may be purged.
  await sql`alter table audit_events disable trigger audit_events_append_only`;
  await sql`insert into audit_events (tenant_id, kind, actor_type, at) values ('acme', 'ancient', 'system', now() - interval '25 months')`;
  await sql`alter table audit_events enable trigger audit_events_append_only`;
  t.equal((await sql`delete from audit_events where kind = 'ancient'`).count, 1, 'older than 24 months: purgeable');
});

t.test('the trail outlives its request', async (t) => {
  const req = await createRequest(sys, { type: 'access', subject: { accountId: 'audit-bob' } });
  await sql`delete from requests where id = ${req.id}`;
  const kept = await sql`select kind from audit_events where request_id = ${req.id} order by id`;
  t.same(kept.map((e) => e.kind), ['received', 'queued'], 'no cascade: the events stay');
});
