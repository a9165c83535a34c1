import t, { type Test } from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OutboundGuard, OutboundRefused, OutboundUrlInvalid, isPublic } from '../src/outbound/guard.js';
import { tenantFeatureSettings } from '../src/tenants/tables.js';
import { readTestServices } from './setup/services.js';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';

/**
 * The outbound guard (src/outbound/guard.ts): every forbidden target is refused before a
 * connection is made, the same way whatever the target, and allowed only when listed in
 * OUTBOUND_ALLOW_HOSTS. A local server counts connections, so "no connection" is observed, not assumed.
 */

interface Listener {
  port: number;
  connections: () => number;
}

async function listener(t: Test): Promise<Listener> {
  let connections = 0;
  const server: Server = createServer((_req, res) => res.end('{}'));
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

function guard(t: Test, allowHosts: string[] = [], allowHttp = true): OutboundGuard {
  const g = new OutboundGuard({ allowHosts, allowHttp });
  t.teardown(() => g.dispatcher.close());
  return g;
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

t.test('address ranges: only public unicast passes', async (t) => {
  for (const address of ['127.0.0.1', '169.254.169.254', '10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1']) {
    t.notOk(isPublic(address), address);
  }
  for (const address of ['::1', '::', 'fc00::1', 'fd12::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254', '64:ff9b::7f00:1']) {
    t.notOk(isPublic(address), address);
  }
  for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111']) t.ok(isPublic(address), address);
  t.notOk(isPublic('not-an-address'));
});

t.test('each forbidden target is refused before any connection, the same way for all', async (t) => {
  const server = await listener(t);
  const g = guard(t);
  const port = server.port;
  // Literal addresses of every forbidden kind, and names that resolve to loopback.
  const targets = [
    `http://127.0.0.1:${port}/`,
    `http://127.1.2.3:${port}/`,
    `http://localhost:${port}/`,
    `http://[::1]:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://2130706433:${port}/`,
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/',
    'http://192.168.1.1/',
    'http://172.16.0.1/',
    'http://[fc00::1]/',
    'http://[fe80::1]/',
    'http://0.0.0.0/',
  ];
  const messages = new Set<string>();
  for (const target of targets) {
    const configured = await refusal(g.check(target));
    t.type(configured, OutboundUrlInvalid, `configuring ${target} is refused`);
    // Only a target refused at configuration is called: nothing may leave this machine if it were not.
    if (!(configured instanceof OutboundUrlInvalid)) continue;
    const called = await refusal(g.fetch(new URL(target), { method: 'POST', body: '{}' }));
    t.type(called, OutboundRefused, `calling ${target} is refused`);
    messages.add(String((called as Error).message));
  }
  t.same([...messages], ['outbound call refused'], 'every refusal reads the same: the errors do not tell targets apart');
  t.equal(server.connections(), 0, 'the local server saw no connection');
});

t.test('a name is checked again at connect time (the lookup the connection uses)', async (t) => {
  const server = await listener(t);
  const g = guard(t);
  // `localhost` passes the URL check (it is a name, not an address); the connection's own lookup refuses it.
  const err = await refusal(g.fetch(new URL(`http://localhost:${server.port}/`), { method: 'GET' }));
  t.type(err, OutboundRefused);
  t.equal(server.connections(), 0, 'no connection was made');
});

t.test('scheme and credentials', async (t) => {
  const strict = guard(t, [], false);
  const reasons = async (g: OutboundGuard, url: string) => ((await refusal(g.check(url))) as Error | undefined)?.message;
  t.equal(await reasons(strict, 'http://example.com/'), 'the URL must be https', 'http needs OUTBOUND_ALLOW_HTTP');
  t.equal(await reasons(strict, 'ftp://example.com/'), 'the URL must be https');
  t.equal(await reasons(strict, 'https://user:pw@example.com/'), 'the URL must not hold credentials');
  t.equal(await reasons(strict, 'not a url'), 'not a URL');
  t.type(await refusal(strict.fetch(new URL('http://example.com/'), { method: 'GET' })), OutboundRefused, 'refused at call time too');
  const listed = guard(t, ['127.0.0.1'], false);
  t.equal(await reasons(listed, 'http://127.0.0.1:1/'), undefined, 'a listed host may use http (local development)');
});

t.test('allowed with OUTBOUND_ALLOW_HOSTS', async (t) => {
  const server = await listener(t);
  const g = guard(t, ['127.0.0.1'], false);
  const url = `http://127.0.0.1:${server.port}/`;
  t.equal((await g.check(url)).href, url);
  const res = await g.fetch(new URL(url), { method: 'GET' });
  t.equal(res.status, 200);
  await res.text();
  t.equal(server.connections(), 1, 'the listed host was called');
  t.type(await refusal(g.check('http://169.254.169.254/')), OutboundUrlInvalid, 'other targets stay refused');
});

t.test('connectors: a forbidden address is a 400 at configuration and an outbound-refused task at call time', async (t) => {
  const sys = await startSystem(t, { OUTBOUND_ALLOW_HOSTS: '', CONNECTOR_RETRIES: '0' });
  const redisPort = new URL(readTestServices().redisUrl).port;
  const put = (baseUrl: string) =>
    sys.app.inject({
      method: 'PUT',
      url: '/v1/tenant/features/approval',
      headers: auth(sys.keys.acme),
      payload: { enabled: true, adapter: 'http', connector: { baseUrl, secret: 'a-very-long-shared-secret' } },
    });
  for (const target of [`http://127.0.0.1:${redisPort}/`, 'http://169.254.169.254/', 'https://localhost/', 'https://[::1]/']) {
    const res = await put(target);
    t.equal(res.statusCode, 400, target);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.equal(res.json().errors[0].field, '/connector/baseUrl');
  }
  // Rows written before the guard existed still point there: the call is refused, and the task's
  // error is the same for the service's own Redis and for the metadata address.
  const errors: string[] = [];
  for (const target of [`http://127.0.0.1:${redisPort}/`, 'http://169.254.169.254/']) {
    await sys.ctx.database.db
      .insert(tenantFeatureSettings)
      .values({ tenantId: 'acme', feature: 'approval', adapter: 'http', connectorUrl: target, connectorSecret: 'a-very-long-shared-secret' })
      .onConflictDoUpdate({
        target: [tenantFeatureSettings.tenantId, tenantFeatureSettings.feature],
        set: { connectorUrl: target, connectorSecret: 'a-very-long-shared-secret' },
      });
    const req = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: ['approval'] });
    const done = await waitForEnd(sys, req.id);
    const task = done.tasks.find((x: { feature: string }) => x.feature === 'approval');
    t.equal(task.status, 'failed', target);
    t.match(task.error, /outbound call refused \(outbound-refused\)/);
    errors.push(task.error);
  }
  t.equal(errors[0], errors[1], 'the task errors do not tell the targets apart');
});
