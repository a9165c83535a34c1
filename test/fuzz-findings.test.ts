import t, { type Test } from 'tap';
import { auth, startSystem } from './helper.js';

/** What the fuzz suite (fuzz.test.ts) found, one focused case each, so that none comes back unnoticed. */

function isProblem(t: Test, res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, what: string) {
  t.equal(res.statusCode, status, `${what}: ${status}`);
  t.match(String(res.headers['content-type']), /^application\/problem\+json/, `${what}: problem+json`);
  t.match(JSON.parse(res.body), { type: String, title: String, status }, `${what}: a problem with the status`);
}

t.test('errors fastify raises before routing are problems too', async (t) => {
  const { app, keys } = await startSystem(t, {}, { worker: false });
  for (const url of ['/downloads/%E0%A4%A', '/v1/requests/%E0%A4%A', '/v1/requests/%E0%A4%A/report/view/index.html']) {
    const res = await app.inject({ method: 'GET', url, headers: auth(keys.acme) });
    isProblem(t, res, 400, `a broken escape in ${url}`);
    t.notMatch(res.body, /%E0%A4%A/, 'the path is not echoed');
  }
  const long = 'x'.repeat(5000);
  for (const [method, url] of [['GET', `/downloads/${long}`], ['GET', `/v1/requests/${long}`], ['DELETE', `/v1/api-keys/${long}`]] as const) {
    const res = await app.inject({ method, url, headers: auth(keys.acme) });
    isProblem(t, res, 414, `a path parameter of 5,000 characters in ${url.slice(0, 20)}…`);
    t.notMatch(res.body, /xxxx/, 'the path is not echoed');
  }
});

t.test('JSON routes take JSON only: another media type is 415, not a validation error', async (t) => {
  const { app, keys } = await startSystem(t, {}, { worker: false });
  for (const contentType of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded']) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { ...auth(keys.acme), 'content-type': contentType },
      payload: JSON.stringify({ name: 'x', role: 'agent' }),
    });
    isProblem(t, res, 415, contentType);
  }
});

t.test('JSON bodies are not coerced: a value of the wrong type is 400', async (t) => {
  const { app, keys } = await startSystem(t, {}, { worker: false });
  const wrong = [
    { url: '/v1/api-keys', method: 'POST', payload: { name: 12, role: 'agent' } },
    { url: '/v1/api-keys', method: 'POST', payload: { name: true, role: 'agent' } },
    { url: '/v1/tenant/features/im', method: 'PUT', payload: { enabled: 'true', adapter: 'built_in' } },
    { url: '/v1/tenant/features/im', method: 'PUT', payload: { enabled: 1, adapter: 'built_in' } },
    { url: '/v1/tenant/features/im', method: 'PUT', payload: { enabled: null, adapter: 'built_in' } },
  ] as const;
  for (const call of wrong) {
    const res = await app.inject({ method: call.method, url: call.url, headers: auth(keys.acme), payload: call.payload });
    isProblem(t, res, 400, `${call.method} ${call.url} ${JSON.stringify(call.payload)}`);
  }
  const keysAfter = await app.inject({ method: 'GET', url: '/v1/api-keys', headers: auth(keys.acme) });
  t.notOk(keysAfter.json().items.some((k: { name: string }) => k.name === '12' || k.name === 'true'), 'no key was made');
  // Query strings are text: their numbers and booleans are still read as such.
  const list = await app.inject({ method: 'GET', url: '/v1/requests?limit=5&overdue=false', headers: auth(keys.acme) });
  t.equal(list.statusCode, 200, 'a query string is still coerced');
});
