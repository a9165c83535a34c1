import t from 'tap';
import { auth, createRequest, startSystem } from './helper.js';
import { addMonths, dueAt, extendedDue, resumedDue } from '../src/requests/deadlines.js';

const iso = (s: string) => new Date(s);

t.test('each regime has its deadline', async (t) => {
  t.same(dueAt('gdpr', iso('2026-03-10T09:00:00Z')), iso('2026-04-10T09:00:00Z'), 'gdpr: one calendar month');
  t.same(dueAt('gdpr', iso('2026-01-31T09:00:00Z')), iso('2026-02-28T09:00:00Z'), 'to the last day of a shorter month');
  t.same(dueAt('gdpr', iso('2028-01-31T09:00:00Z')), iso('2028-02-29T09:00:00Z'), 'leap years too');
  t.same(dueAt('gdpr', iso('2026-12-15T00:00:00Z')), iso('2027-01-15T00:00:00Z'), 'across the year');
  t.same(dueAt('ccpa', iso('2026-03-10T09:00:00Z')), iso('2026-04-24T09:00:00Z'), 'ccpa: 45 days');
  // Friday 2026-12-04: 15 working days are three whole weeks.
  t.same(dueAt('pipl', iso('2026-12-04T09:00:00Z')), iso('2026-12-25T09:00:00Z'), 'pipl: 15 working days');
  t.same(dueAt('pipl', iso('2026-12-05T09:00:00Z')), iso('2026-12-25T09:00:00Z'), 'a Saturday counts from Monday');
  t.same(addMonths(iso('2026-08-31T00:00:00Z'), 2), iso('2026-10-31T00:00:00Z'));
});

t.test('extensions follow the regime', async (t) => {
  const due = iso('2026-04-10T09:00:00Z');
  t.same(extendedDue('gdpr', due, {}), iso('2026-06-10T09:00:00Z'), 'gdpr: two further months by default');
  t.same(extendedDue('gdpr', due, { months: 1 }), iso('2026-05-10T09:00:00Z'));
  t.match(extendedDue('gdpr', due, { months: 3 }), /at most 2/);
  t.match(extendedDue('gdpr', due, { days: 10 }), /in months/);
  t.same(extendedDue('ccpa', due, {}), iso('2026-05-25T09:00:00Z'), 'ccpa: 45 more days by default');
  t.same(extendedDue('ccpa', due, { days: 5 }), iso('2026-04-15T09:00:00Z'));
  t.match(extendedDue('ccpa', due, { days: 46 }), /at most 45/);
  t.match(extendedDue('pipl', due, {}), /cannot be extended/);
  t.same(resumedDue(due, iso('2026-03-20T00:00:00Z'), iso('2026-03-23T12:00:00Z')), iso('2026-04-13T21:00:00Z'), 'a pause moves it on');
});

t.test('over the API, with a controllable clock', async (t) => {
  const sys = await startSystem(t, {}, { worker: false });
  const { app, keys, ctx } = sys;
  let now = iso('2026-03-10T09:00:00Z');
  ctx.clock = () => now;
  const get = (url: string) => app.inject({ method: 'GET', url, headers: auth(keys.acme) });
  const extend = (id: string, payload: object) =>
    app.inject({ method: 'POST', url: `/v1/requests/${id}/extend`, headers: auth(keys.acme), payload });

  const gdpr = await createRequest(sys, { type: 'access', subject: { accountId: 'dl-1' } });
  t.match(gdpr, { regime: 'gdpr', createdAt: '2026-03-10T09:00:00.000Z', dueAt: '2026-04-10T09:00:00.000Z' }, "the tenant's default");
  const ccpa = await createRequest(sys, { type: 'access', subject: { accountId: 'dl-2' }, regime: 'ccpa' });
  t.match(ccpa, { regime: 'ccpa', dueAt: '2026-04-24T09:00:00.000Z' }, 'or the one the request names');
  await ctx.database.sql`update tenants set default_regime = 'pipl' where id = 'acme'`;
  // Changed in the database directly: an API process sees it within TENANT_CACHE_MS; this one is told.
  ctx.tenants.changed('acme');
  const pipl = await createRequest(sys, { type: 'access', subject: { accountId: 'dl-3' } });
  t.match(pipl, { regime: 'pipl', dueAt: '2026-03-31T09:00:00.000Z' }, 'a tenant may default to another law');

  t.equal((await extend(pipl.id, { reason: 'complex' })).statusCode, 422, 'pipl is not extended');
  t.match((await extend(gdpr.id, { reason: 'complex', days: 3 })).json(), { status: 422, type: 'urn:dsar:problem:extension-not-allowed' });
  t.equal((await extend(gdpr.id, { reason: 'complex', months: 3 })).statusCode, 422);
  t.equal((await extend(gdpr.id, {})).statusCode, 400, 'a reason is required');
  const extended = await extend(gdpr.id, { reason: 'many systems to search' });
  t.equal(extended.statusCode, 200);
  t.match(extended.json(), {
    dueAt: '2026-06-10T09:00:00.000Z',
    extension: { at: '2026-03-10T09:00:00.000Z', reason: 'many systems to search' },
  });
  t.match((await extend(gdpr.id, { reason: 'again', months: 1 })).json(), { status: 409, type: 'urn:dsar:problem:already-extended' }, 'once');
  const trail = (await get(`/v1/requests/${gdpr.id}/events`)).json().items;
  t.match(trail.at(-1), {
    kind: 'extended',
    actor: { type: 'api_key' },
    detail: { reason: 'many systems to search', regime: 'gdpr', from: '2026-04-10T09:00:00.000Z', to: '2026-06-10T09:00:00.000Z' },
  });
  t.equal((await extend('00000000-0000-4000-8000-000000000000', { reason: 'x' })).statusCode, 404);
  const cancelled = await createRequest(sys, { type: 'export', subject: { accountId: 'dl-4' } });
  await app.inject({ method: 'POST', url: `/v1/requests/${cancelled.id}/cancel`, headers: auth(keys.acme) });
  t.equal((await extend(cancelled.id, { reason: 'x' })).statusCode, 409, 'an ended request is not extended');

  const ids = (res: { json(): { items: { id: string }[] } }) => res.json().items.map((r) => r.id).sort();
  t.same(ids(await get('/v1/requests?overdue=true')), [], 'nothing overdue yet');
  now = iso('2026-04-01T00:00:00Z');
  t.same(ids(await get('/v1/requests?overdue=true')), [pipl.id], 'pipl is due first');
  now = iso('2026-05-01T00:00:00Z');
  t.same(ids(await get('/v1/requests?overdue=true')), [ccpa.id, pipl.id].sort(), 'the extended one is not overdue');
  t.same(ids(await get('/v1/requests?dueBefore=2026-04-30T00:00:00Z')), [ccpa.id, pipl.id, cancelled.id].sort(), 'dueBefore: any status');
  t.same(ids(await get('/v1/requests?dueBefore=2026-04-30T00:00:00Z&type=access&limit=1')).length, 1);

  const stats = await get('/v1/requests/stats');
  t.equal(stats.statusCode, 200);
  t.same(stats.json(), { byStatus: { queued: 3, cancelled: 1 }, overdue: 2 }, 'counts per status, and overdue (cancelled ones are not)');
});
