import t from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';

// Logs carry ids and routes, never personal data: run requests that name people every way we can.
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(chunk.toString());
    done();
  },
});
const sys = await startSystem(t, {}, { log: pino({ level: 'trace' }, sink) });

t.test('no account id, email, mobile, key or token in any log line', async (t) => {
  const byEmail = await createRequest(sys, { type: 'access', subject: { email: 'alice@acme.example' } });
  await waitForEnd(sys, byEmail.id);
  const deletion = await createRequest(sys, { type: 'deletion', subject: { mobile: '+49 151 2345 1002' } });
  await waitForEnd(sys, deletion.id);
  await sys.app.inject({ method: 'GET', url: '/v1/requests?accountId=alice', headers: auth(sys.keys.acme) });
  await sys.app.inject({ method: 'GET', url: `/v1/requests/${byEmail.id}/report`, headers: auth(sys.keys.acme) });
  const link = (
    await sys.app.inject({ method: 'POST', url: `/v1/requests/${byEmail.id}/links`, headers: auth(sys.keys.acme), payload: {} })
  ).json();
  await sys.app.inject({ method: 'GET', url: new URL(link.url).pathname });
  await sys.app.inject({ method: 'GET', url: '/v1/requests', headers: { authorization: 'Bearer wrong-key-0123456789' } });

  const log = lines.join('');
  t.ok(lines.length > 20, `${lines.length} log lines written`);
  t.match(log, /"route":"\/v1\/requests\/:id\/report"/, 'requests are logged by route');
  t.match(log, /"requestId":"[0-9a-f-]{36}"/, 'jobs are logged with the request id');
  for (const secret of ['alice', 'bob', 'acme.example', '2345 1002', '23451002', sys.keys.acme, link.url.split('/').at(-1)]) {
    t.notOk(log.includes(secret), `no "${secret.slice(0, 12)}…" in the logs`);
  }
});
