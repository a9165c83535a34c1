import t from 'tap';
import { Queue } from 'bullmq';
import { auth, startSystem, subjectToken, VERIFIED } from './helper.js';

/**
 * Idempotency-Key on every POST (issue 15, item 3): a retry with the same key and body gets the first
 * answer again instead of doing the work twice; the same key with another body is refused.
 */

const sys = await startSystem(t);
const { app, keys, ctx } = sys;
const sql = ctx.database.sql;

const create = (key: string | undefined, body: object, apiKey = keys.acme) =>
  app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: { ...auth(apiKey), ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload: { verification: VERIFIED, ...body },
  });

const requestsOf = async (accountId: string) =>
  Number((await sql`select count(*)::int as n from requests where subject_account_id = ${accountId}`)[0]?.n);

t.test('the same key and body answer the first response again; the work is done once', async (t) => {
  const first = await create('create-alice-1', { type: 'access', subject: { accountId: 'alice' } });
  t.equal(first.statusCode, 202);
  t.notOk(first.headers['idempotent-replayed'], 'the first answer is not a replay');
  // The same body with its keys in another order is the same body.
  const again = await app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: { ...auth(keys.acme), 'idempotency-key': 'create-alice-1', 'content-type': 'application/json' },
    payload: JSON.stringify({ subject: { accountId: 'alice' }, verification: { note: VERIFIED.note, method: VERIFIED.method }, type: 'access' }),
  });
  t.equal(again.statusCode, 202, 'the same status');
  t.equal(again.body, first.body, 'the same body');
  t.equal(again.json().id, first.json().id, 'the same request');
  t.equal(again.headers.location, first.headers.location, 'the same Location');
  t.equal(again.headers['x-request-id'], first.headers['x-request-id'], 'the same request id');
  t.equal(again.headers['idempotent-replayed'], 'true', 'marked as a replay');
  t.match(String(again.headers['content-type']), /^application\/json/);
  t.equal(await requestsOf('alice'), 1, 'one request was made');
  const events = await app.inject({ method: 'GET', url: `/v1/requests/${first.json().id}/events`, headers: auth(keys.acme) });
  const kinds = events.json().items.map((e: { kind: string }) => e.kind);
  t.notOk(kinds.includes('duplicate_received'), 'the replay recorded no second ask');

  // Without a key, a second ask is what it was before: the open request, answered 200.
  const unkeyed = await create(undefined, { type: 'access', subject: { accountId: 'alice' } });
  t.equal(unkeyed.statusCode, 200, 'no key: the duplicate rule answers');
});

t.test('the same key with another body is 422', async (t) => {
  const first = await create('create-bob-1', { type: 'access', subject: { accountId: 'bob' } });
  t.equal(first.statusCode, 202);
  const other = await create('create-bob-1', { type: 'export', subject: { accountId: 'bob' } });
  t.equal(other.statusCode, 422);
  t.match(String(other.headers['content-type']), /^application\/problem\+json/);
  t.equal(other.json().type, 'urn:dsar:problem:idempotency-key-reused');
  // Another route with the key is another request too.
  const cancel = await app.inject({
    method: 'POST',
    url: `/v1/requests/${first.json().id}/cancel`,
    headers: { ...auth(keys.acme), 'idempotency-key': 'create-bob-1' },
  });
  t.equal(cancel.statusCode, 422, 'the same key on another route is 422');
  t.equal(await requestsOf('bob'), 1, 'nothing else was made');
});

t.test('keys are the caller’s own', async (t) => {
  const secondKey = await ctx.apiKeys.create('acme', 'second');
  const acme = await create('shared-key', { type: 'access', subject: { accountId: 'carol' } });
  const again = await create('shared-key', { type: 'export', subject: { accountId: 'carol' } }, secondKey);
  t.equal(acme.statusCode, 202);
  t.equal(again.statusCode, 202, "another key's caller uses the same key freely");
  t.not(again.json().id, acme.json().id);
  const globex = await create('shared-key', { type: 'access', subject: { accountId: 'carol' } }, keys.globex);
  t.equal(globex.statusCode, 202, 'so does another tenant');
  t.not(globex.json().id, acme.json().id);

  // A data subject's keys are theirs.
  const token = await subjectToken(sys, 'acme', 'carol');
  const own = (payload: object) =>
    app.inject({ method: 'POST', url: '/v1/requests', headers: { ...auth(token), 'idempotency-key': 'shared-key' }, payload });
  const subject = await own({ type: 'export' });
  t.equal(subject.statusCode, 200, "the subject's ask finds the agent's open export");
  t.notOk(subject.headers['idempotent-replayed'], 'not a replay of the agent’s call');
  const subjectAgain = await own({ type: 'export' });
  t.equal(subjectAgain.headers['idempotent-replayed'], 'true', 'but their own retry is');
  t.equal(subjectAgain.body, subject.body);
  t.equal((await own({ type: 'access' })).statusCode, 422, 'and their key with another body is 422');
});

t.test('concurrent calls with one key: one runs, the others are told it is in use or get its answer', async (t) => {
  const calls = await Promise.all(
    Array.from({ length: 6 }, () => create('create-dave-1', { type: 'access', subject: { accountId: 'dave' } })),
  );
  const statuses = calls.map((c) => c.statusCode);
  t.equal(statuses.filter((s) => s === 202).length >= 1, true, `one ran (${statuses.join(', ')})`);
  const ids = new Set(calls.filter((c) => c.statusCode === 202).map((c) => c.json().id));
  t.equal(ids.size, 1, 'every 202 is the same request');
  for (const busy of calls.filter((c) => c.statusCode !== 202)) {
    t.equal(busy.statusCode, 409, 'the others: 409');
    t.equal(busy.json().type, 'urn:dsar:problem:idempotency-key-in-use');
    t.ok(busy.headers['retry-after'], 'with Retry-After');
  }
  t.equal(await requestsOf('dave'), 1, 'one request was made');
  const later = await create('create-dave-1', { type: 'access', subject: { accountId: 'dave' } });
  t.equal(later.statusCode, 202, 'once done, a retry gets its answer');
  t.equal(later.json().id, [...ids][0]);

  // A call that holds its key (here: one whose process died before it answered).
  const keyId = (await sql`select id from api_keys where tenant_id = 'acme' and name = 'test'`)[0]?.id;
  const dead = await ctx.idempotency.claim({ tenantId: 'acme', caller: `api_key:${keyId}`, key: 'create-dave-2' }, 'fingerprint');
  t.equal(dead.kind, 'claimed');
  const busy = await create('create-dave-2', { type: 'export', subject: { accountId: 'dave' } });
  t.equal(busy.statusCode, 409, 'while a call holds the key: 409');
  t.equal(busy.headers['retry-after'], '1');
  await sql`update idempotency_keys set created_at = now() - interval '11 minutes' where key = 'create-dave-2'`;
  const takenOver = await create('create-dave-2', { type: 'export', subject: { accountId: 'dave' } });
  t.equal(takenOver.statusCode, 202, 'a key held for over 10 minutes is taken over');
  if (dead.kind === 'claimed') {
    await ctx.idempotency.answer(dead.held, { status: 500, headers: {}, body: 'late', fingerprint: 'fingerprint' });
  }
  const replayed = await create('create-dave-2', { type: 'export', subject: { accountId: 'dave' } });
  t.equal(replayed.body, takenOver.body, "the dead call's late answer does not replace the new one");
});

t.test('4xx answers of a handler are kept; malformed keys are 400', async (t) => {
  const missing = '00000000-0000-4000-8000-000000000000';
  const first = await app.inject({ method: 'POST', url: `/v1/requests/${missing}/cancel`, headers: { ...auth(keys.acme), 'idempotency-key': 'cancel-missing' } });
  t.equal(first.statusCode, 404);
  const again = await app.inject({ method: 'POST', url: `/v1/requests/${missing}/cancel`, headers: { ...auth(keys.acme), 'idempotency-key': 'cancel-missing' } });
  t.equal(again.statusCode, 404, 'a 404 is answered again');
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.match(String(again.headers['content-type']), /^application\/problem\+json/, 'as a problem');

  // Invalid bodies never reached the handler: nothing is kept, a corrected body may use the key.
  const invalid = await create('fix-and-retry', { type: 'access', subject: { accountId: 'erin' }, features: 'im' });
  t.equal(invalid.statusCode, 400);
  const fixed = await create('fix-and-retry', { type: 'access', subject: { accountId: 'erin' }, features: ['im'] });
  t.equal(fixed.statusCode, 202, 'a validation error is not kept');

  for (const bad of ['k'.repeat(256), '']) {
    const res = await create(bad, { type: 'access', subject: { accountId: 'erin' } });
    t.equal(res.statusCode, 400, `a key of ${bad.length} characters is 400`);
    t.match(String(res.headers['content-type']), /^application\/problem\+json/);
  }
  t.equal((await create('k'.repeat(255), { type: 'export', subject: { accountId: 'erin' } })).statusCode, 202, '255 characters are fine');
});

t.test('after 24 hours a key is new; housekeeping deletes what expired', async (t) => {
  const first = await create('create-frank-1', { type: 'access', subject: { accountId: 'frank' } });
  t.equal(first.statusCode, 202);
  const rows = await sql`select expires_at - created_at as ttl from idempotency_keys where key = 'create-frank-1'`;
  t.equal(rows.length, 1, 'the key is stored in Postgres');
  t.match(String(rows[0]?.ttl), /^(1 day|24:00:00)/, 'for 24 hours');
  await sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = 'create-frank-1'`;
  const other = await create('create-frank-1', { type: 'export', subject: { accountId: 'frank' } });
  t.equal(other.statusCode, 202, 'an expired key is used afresh');

  await sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = 'create-frank-1'`;
  t.equal(await ctx.idempotency.purgeExpired(), 1, 'the expired key is deleted');
  t.equal((await sql`select 1 from idempotency_keys where key = 'create-frank-1'`).length, 0, 'gone from Postgres');

  // The worker's hourly housekeeping runs it.
  await sql`update idempotency_keys set expires_at = now() - interval '1 second'`;
  const queue = new Queue('idempotency-expiry', { connection: ctx.redis, prefix: ctx.config.queuePrefix });
  t.teardown(() => queue.close());
  t.match(await queue.getJobSchedulers(), [{ key: 'idempotency-expiry', every: 3_600_000 }], 'the worker scheduled it hourly');
  await queue.add('idempotency-expiry', {});
  const left = async () => Number((await sql`select count(*)::int as n from idempotency_keys`)[0]?.n);
  for (let i = 0; i < 200 && (await left()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(await left(), 0, 'and deletes what expired');
});

t.test('uploads: the raw bytes are the body', async (t) => {
  const enabled = await app.inject({
    method: 'PUT',
    url: '/v1/tenant/features/clock-in',
    headers: auth(keys.acme),
    payload: { enabled: true, adapter: 'manual' },
  });
  t.equal(enabled.statusCode, 200);
  const created = await create(undefined, { type: 'access', subject: { accountId: 'grace' }, features: ['clock-in'] });
  const id = created.json().id;
  for (let i = 0; i < 300; i++) {
    const body = (await app.inject({ method: 'GET', url: `/v1/requests/${id}`, headers: auth(keys.acme) })).json();
    if (body.status === 'action_required') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const upload = (key: string, bytes: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/requests/${id}/tasks/clock-in/files?name=hours.csv`,
      headers: { ...auth(keys.acme), 'content-type': 'text/csv', 'idempotency-key': key },
      payload: Buffer.from(bytes),
    });
  const first = await upload('upload-1', 'day,hours\nmon,8\n');
  t.equal(first.statusCode, 201, first.body);
  const again = await upload('upload-1', 'day,hours\nmon,8\n');
  t.equal(again.statusCode, 201);
  t.equal(again.body, first.body, 'the same file, not a second one');
  t.equal(again.headers['idempotent-replayed'], 'true');
  const other = await upload('upload-1', 'day,hours\ntue,7\n');
  t.equal(other.statusCode, 422, 'other bytes with the key: 422');
});
