import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { buildApp } from '../src/http/app.js';
import { auth, startSystem, subjectToken, VERIFIED } from './helper.js';

/** What a browser console and a plain HTTP client expect of the API (issue 15, item 6). */

const ORIGIN = 'https://console.acme.example';
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(chunk.toString());
    done();
  },
});
const sys = await startSystem(t, { CORS_ORIGINS: `${ORIGIN}, https://other.example` }, { worker: false, log: pino({ level: 'info' }, sink) });
const { app, keys } = sys;

function isProblem(t: Test, res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, what: string) {
  t.equal(res.statusCode, status, `${what}: ${status}`);
  t.match(String(res.headers['content-type']), /^application\/problem\+json/, `${what}: problem+json`);
  t.match(JSON.parse(res.body), { type: String, title: String, status }, `${what}: a problem with the status`);
}

const create = (accountId: string, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: { ...auth(keys.acme), ...headers },
    payload: { type: 'access', subject: { accountId }, verification: VERIFIED },
  });

t.test('CORS: a configured origin may call the API from a browser, another may not', async (t) => {
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/requests',
    headers: {
      origin: ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, idempotency-key, x-request-id',
    },
  });
  t.equal(preflight.statusCode, 204, 'a preflight from an allowed origin is answered');
  t.equal(preflight.headers['access-control-allow-origin'], ORIGIN, 'the origin is allowed');
  t.match(String(preflight.headers['access-control-allow-methods']), /POST/, 'POST is allowed');
  for (const header of ['authorization', 'content-type', 'idempotency-key', 'x-request-id', 'if-none-match']) {
    t.match(String(preflight.headers['access-control-allow-headers']).toLowerCase(), header, `${header} may be sent`);
  }
  t.match(String(preflight.headers.vary), /Origin/i, 'caches keep origins apart');

  const get = await app.inject({ method: 'GET', url: '/v1/requests', headers: { ...auth(keys.acme), origin: ORIGIN } });
  t.equal(get.statusCode, 200);
  t.equal(get.headers['access-control-allow-origin'], ORIGIN, 'a call from the origin may be read');
  for (const header of ['etag', 'link', 'location', 'x-request-id', 'retry-after', 'idempotent-replayed']) {
    t.match(String(get.headers['access-control-expose-headers']).toLowerCase(), header, `${header} is exposed to the page`);
  }
  const unauthorized = await app.inject({ method: 'GET', url: '/v1/requests', headers: { origin: ORIGIN } });
  t.equal(unauthorized.statusCode, 401);
  t.equal(unauthorized.headers['access-control-allow-origin'], ORIGIN, 'an error may be read by the page too');

  const denied = await app.inject({
    method: 'OPTIONS',
    url: '/v1/requests',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  });
  t.notOk(denied.headers['access-control-allow-origin'], 'another origin is not allowed');
  const deniedGet = await app.inject({ method: 'GET', url: '/v1/requests', headers: { ...auth(keys.acme), origin: 'https://evil.example' } });
  t.notOk(deniedGet.headers['access-control-allow-origin'], 'nor may it read a response');

  // Without CORS_ORIGINS, no CORS at all: a preflight is an unknown route.
  const plain = await buildApp({ ...sys.ctx, config: { ...sys.ctx.config, corsOrigins: [] } });
  t.teardown(() => plain.close());
  const off = await plain.inject({
    method: 'OPTIONS',
    url: '/v1/requests',
    headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
  });
  isProblem(t, off, 404, 'a preflight without CORS_ORIGINS');
  t.notOk(off.headers['access-control-allow-origin'], 'no origin is allowed');
});

t.test('X-Request-Id: a well-formed one is taken and echoed, else one is made; logs carry it', async (t) => {
  const given = await app.inject({ method: 'GET', url: '/v1/requests', headers: { ...auth(keys.acme), 'x-request-id': 'console-7f3a.1' } });
  t.equal(given.headers['x-request-id'], 'console-7f3a.1', 'an incoming id is echoed');
  t.ok(lines.some((line) => line.includes('"reqId":"console-7f3a.1"')), 'and is the request id of the log lines');

  const made = await app.inject({ method: 'GET', url: '/v1/requests', headers: auth(keys.acme) });
  t.match(String(made.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'without one, an id is made');
  for (const bad of ['x'.repeat(200), 'has space', 'line\u0001break', 'alice@acme.example']) {
    const res = await app.inject({ method: 'GET', url: '/v1/requests', headers: { ...auth(keys.acme), 'x-request-id': bad } });
    t.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/, `a malformed id (${bad.slice(0, 10)}…) is replaced`);
  }
  for (const [url, status] of [['/nowhere', 404], ['/v1/requests/%E0%A4%A', 400], [`/v1/requests/${'x'.repeat(5000)}`, 414]] as const) {
    const res = await app.inject({ method: 'GET', url, headers: { ...auth(keys.acme), 'x-request-id': 'echo-me' } });
    t.equal(res.statusCode, status);
    t.equal(res.headers['x-request-id'], 'echo-me', `echoed on a ${status} too`);
  }
  const unauthorized = await app.inject({ method: 'GET', url: '/v1/requests', headers: { 'x-request-id': 'echo-me' } });
  t.equal(unauthorized.headers['x-request-id'], 'echo-me', 'and on a 401');
});

t.test('every 401 names its scheme in WWW-Authenticate', async (t) => {
  const none = await app.inject({ method: 'GET', url: '/v1/requests' });
  isProblem(t, none, 401, 'no token');
  t.equal(none.headers['www-authenticate'], 'Bearer', 'no token: Bearer');
  const wrong = await app.inject({ method: 'GET', url: '/v1/requests', headers: auth('dsar_not-a-real-key-0123456789') });
  isProblem(t, wrong, 401, 'a refused token');
  t.equal(wrong.headers['www-authenticate'], 'Bearer error="invalid_token"', 'a refused token: invalid_token');
  // A subject's deletion with an old login: the token is valid but not fresh enough (RFC 9470).
  const stale = await subjectToken(sys, 'acme', 'alice', { authAgeSeconds: 3600 });
  const stepUp = await app.inject({ method: 'POST', url: '/v1/requests', headers: auth(stale), payload: { type: 'deletion' } });
  isProblem(t, stepUp, 401, 'a deletion with an old login');
  t.match(String(stepUp.headers['www-authenticate']), /^Bearer error="insufficient_user_authentication"/, 'step-up: insufficient_user_authentication');
});

t.test('GET /v1/requests/{id} has an ETag; If-None-Match answers 304 until the request changes', async (t) => {
  const created = await create('alice');
  t.equal(created.statusCode, 202);
  const { id } = created.json();
  const first = await app.inject({ method: 'GET', url: `/v1/requests/${id}`, headers: auth(keys.acme) });
  t.equal(first.statusCode, 200);
  const etag = String(first.headers.etag);
  t.match(etag, /^"[^"]+"$/, 'an ETag is sent');
  t.match(String(first.headers['cache-control']), /private/, 'for the caller only');

  const again = await app.inject({ method: 'GET', url: `/v1/requests/${id}`, headers: { ...auth(keys.acme), 'if-none-match': etag } });
  t.equal(again.statusCode, 304, 'unchanged: 304');
  t.equal(again.body, '', 'with no body');
  t.equal(again.headers.etag, etag, 'and the same ETag');
  const weak = await app.inject({ method: 'GET', url: `/v1/requests/${id}`, headers: { ...auth(keys.acme), 'if-none-match': `"other", W/${etag}` } });
  t.equal(weak.statusCode, 304, 'a list and a weak form match too');

  const cancelled = await app.inject({ method: 'POST', url: `/v1/requests/${id}/cancel`, headers: auth(keys.acme) });
  t.equal(cancelled.statusCode, 200);
  const changed = await app.inject({ method: 'GET', url: `/v1/requests/${id}`, headers: { ...auth(keys.acme), 'if-none-match': etag } });
  t.equal(changed.statusCode, 200, 'changed: the new state');
  t.not(changed.headers.etag, etag, 'with a new ETag');
  t.equal(changed.json().status, 'cancelled');

  const other = await app.inject({ method: 'GET', url: `/v1/requests/${id}`, headers: { ...auth(keys.globex), 'if-none-match': etag } });
  isProblem(t, other, 404, "another tenant's request, even with its ETag");
});

t.test('lists send a Link to the next page beside nextCursor', async (t) => {
  for (const account of ['bob', 'carol', 'dave']) t.equal((await create(account)).statusCode, 202);
  let url: string | undefined = '/v1/requests?limit=1&type=access';
  const seen: string[] = [];
  for (let page = 0; url && page < 10; page++) {
    const res = await app.inject({ method: 'GET', url, headers: auth(keys.acme) });
    t.equal(res.statusCode, 200);
    const body = res.json();
    seen.push(...body.items.map((r: { id: string }) => r.id));
    const link = res.headers.link as string | undefined;
    if (body.nextCursor === null) {
      t.notOk(link, 'the last page has no next link');
      url = undefined;
    } else {
      const next = /^<([^>]+)>; rel="next"$/.exec(String(link))?.[1];
      t.ok(next, 'a next link');
      const target = new URL(String(next), 'http://relative.invalid');
      t.equal(target.pathname, '/v1/requests', 'to the same list');
      t.equal(target.searchParams.get('cursor'), body.nextCursor, 'with the next cursor');
      t.equal(target.searchParams.get('type'), 'access', 'and the same filters');
      url = String(next);
    }
  }
  t.equal(new Set(seen).size, seen.length, 'no request twice');
  t.ok(seen.length >= 3, 'the link walks every page');

  const audit = await app.inject({ method: 'GET', url: '/v1/audit?limit=1', headers: auth(keys.acme) });
  t.equal(audit.statusCode, 200);
  t.match(String(audit.headers.link), /^<\/v1\/audit\?limit=1&cursor=[^>]+>; rel="next"$/, 'the audit list too');
});

t.test('a body of another media type is 415', async (t) => {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: { ...auth(keys.acme), 'content-type': 'text/plain' },
    payload: JSON.stringify({ type: 'access', subject: { accountId: 'alice' }, verification: VERIFIED }),
  });
  isProblem(t, res, 415, 'text/plain');
  const xml = await app.inject({
    method: 'POST',
    url: '/v1/api-keys',
    headers: { ...auth(keys.acme), 'content-type': 'application/xml' },
    payload: '<key/>',
  });
  isProblem(t, xml, 415, 'application/xml');
});

t.test('JSON bodies are taken as typed: an array is not a string, a string not an array', async (t) => {
  const wrong = [
    { type: 'access', subject: { accountId: ['alice'] }, verification: VERIFIED },
    { type: 'access', subject: { accountId: 'alice' }, features: 'im', verification: VERIFIED },
    { type: ['access'], subject: { accountId: 'alice' }, verification: VERIFIED },
    { type: 'access', subject: { accountId: 12 }, verification: VERIFIED },
  ];
  for (const payload of wrong) {
    const res = await app.inject({ method: 'POST', url: '/v1/requests', headers: auth(keys.acme), payload });
    isProblem(t, res, 400, JSON.stringify(payload).slice(0, 60));
  }
  const list = await app.inject({ method: 'GET', url: '/v1/requests?limit=2', headers: auth(keys.acme) });
  t.equal(list.statusCode, 200, 'a query string is text, and its numbers are still read');
  t.ok(list.json().items.length <= 2);
});

t.test('errors fastify raises itself are problems', async (t) => {
  for (const url of ['/nowhere', '/v1/nowhere', '/v1/requests/00000000-0000-4000-8000-000000000000/nothing']) {
    isProblem(t, await app.inject({ method: 'GET', url, headers: auth(keys.acme) }), 404, `an unknown route ${url}`);
  }
  isProblem(t, await app.inject({ method: 'PATCH', url: '/v1/requests', headers: auth(keys.acme) }), 404, 'an unknown method');
  isProblem(t, await app.inject({ method: 'GET', url: `/v1/requests/${'x'.repeat(5000)}`, headers: auth(keys.acme) }), 414, 'a long path');

  // Header limits are the HTTP parser's: only a real connection shows them.
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const res = await new Promise<{ statusCode: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/requests', headers: { ...auth(keys.acme), 'x-big': 'a'.repeat(20_000) } });
    req.on('response', (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
  isProblem(t, res, 431, 'headers over the limit');
});
