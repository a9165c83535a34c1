import t from 'tap';
import { createHash } from 'node:crypto';
import { auth, createRequest, startSystem, VERIFIED, waitForEnd } from './helper.js';
import { ZipFile } from './zip.js';
import { catalogue } from '../src/catalogue/catalogue.js';

// Per-tenant configuration and manual tasks, through the API and the worker.
const sys = await startSystem(t);
const { app, keys } = sys;

const put = (feature: string, body: object, key = keys.acme) =>
  app.inject({ method: 'PUT', url: `/v1/tenant/features/${feature}`, headers: auth(key), payload: body });

async function waitForStatus(id: string, status: string) {
  for (let i = 0; i < 300; i++) {
    const body = (await app.inject({ method: 'GET', url: `/v1/requests/${id}`, headers: auth(keys.acme) })).json();
    if (body.status === status) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`request ${id} never reached ${status}`);
}

t.test('tenant configuration: features and adapters, per tenant', async (t) => {
  const list = (await app.inject({ method: 'GET', url: '/v1/tenant/features', headers: auth(keys.acme) })).json();
  t.same(list.items.map((s: { feature: string }) => s.feature), catalogue.features.map((f) => f.id));
  t.ok(list.items.every((s: { enabled: boolean }) => s.enabled));
  t.match(list.items.find((s: { feature: string }) => s.feature === 'im'), { adapter: 'built_in', builtInAvailable: true });

  const res = await put('calendar', { enabled: false, adapter: 'built_in' });
  t.equal(res.statusCode, 200);
  t.match(res.json(), { feature: 'calendar', enabled: false });
  const req = await createRequest(sys, { type: 'access', subject: { accountId: 'bob' } });
  t.notOk(req.features.includes('calendar'), 'a disabled feature is left out of new requests');
  // Ended, so that bob's next access request (below) is a new one, not this one.
  await app.inject({ method: 'POST', url: `/v1/requests/${req.id}/cancel`, headers: auth(keys.acme) });
  const asked = await app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: auth(keys.acme),
    payload: { type: 'access', subject: { accountId: 'bob' }, features: ['calendar'], verification: VERIFIED },
  });
  t.equal(asked.statusCode, 400);
  t.equal(asked.json().errors[0].field, '/features/0');
  t.equal((await put('calendar', { enabled: true, adapter: 'built_in' })).statusCode, 200);

  const globex = (await app.inject({ method: 'GET', url: '/v1/tenant/features', headers: auth(keys.globex) })).json();
  t.ok(globex.items.every((s: { enabled: boolean }) => s.enabled), "one tenant's settings do not touch another's");

  const noConnector = await put('im', { enabled: true, adapter: 'http' });
  t.equal(noConnector.statusCode, 400);
  t.equal(noConnector.json().errors[0].field, '/connector');
  const withConnector = await put('im', {
    enabled: true,
    adapter: 'http',
    connector: { baseUrl: 'http://127.0.0.1:9/im', secret: 'a-very-long-shared-secret' },
  });
  t.equal(withConnector.statusCode, 200);
  t.same(withConnector.json().connector, { baseUrl: 'http://127.0.0.1:9/im' }, 'the secret is never returned');
  t.notMatch(withConnector.body, /a-very-long-shared-secret/);
  t.equal((await put('im', { enabled: true, adapter: 'built_in' })).statusCode, 200);
  t.equal((await put('teleport', { enabled: true, adapter: 'manual' })).statusCode, 404);
  t.equal((await put('im', { enabled: true, adapter: 'robot' })).statusCode, 400);
});

t.test('manual tasks: the request waits for the agent, then completes with what they supplied', async (t) => {
  t.equal((await put('clock-in', { enabled: true, adapter: 'manual' })).statusCode, 200);
  t.teardown(() => put('clock-in', { enabled: true, adapter: 'built_in' }));
  const req = await createRequest(sys, { type: 'access', subject: { accountId: 'bob' }, features: ['im', 'clock-in'] });
  const waiting = await waitForStatus(req.id, 'action_required');
  t.match(waiting.tasks.find((x: { feature: string }) => x.feature === 'clock-in'), { status: 'action_required' });
  t.match(waiting.tasks.find((x: { feature: string }) => x.feature === 'im'), { status: 'completed' });

  const bytes = Buffer.from('date,time\n2026-11-02,08:59\n');
  const upload = await app.inject({
    method: 'POST',
    url: `/v1/requests/${req.id}/tasks/clock-in/files?name=clock-ins.csv`,
    headers: { ...auth(keys.acme), 'content-type': 'text/csv' },
    payload: bytes,
  });
  t.equal(upload.statusCode, 201, upload.body);
  t.same(upload.json(), {
    name: 'clock-ins.csv',
    mediaType: 'text/csv',
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  });
  const wrongTenant = await app.inject({
    method: 'POST',
    url: `/v1/requests/${req.id}/tasks/clock-in/complete`,
    headers: auth(keys.globex),
    payload: { note: 'x' },
  });
  t.equal(wrongTenant.statusCode, 404);
  const notWaiting = await app.inject({
    method: 'POST',
    url: `/v1/requests/${req.id}/tasks/im/complete`,
    headers: auth(keys.acme),
    payload: { note: 'x' },
  });
  t.equal(notWaiting.statusCode, 409);
  const noNote = await app.inject({
    method: 'POST',
    url: `/v1/requests/${req.id}/tasks/clock-in/complete`,
    headers: auth(keys.acme),
    payload: { note: '' },
  });
  t.equal(noNote.statusCode, 400);

  const done = await app.inject({
    method: 'POST',
    url: `/v1/requests/${req.id}/tasks/clock-in/complete`,
    headers: auth(keys.acme),
    payload: { note: 'Exported from the attendance machines' },
  });
  t.equal(done.statusCode, 200);
  const ended = await waitForEnd(sys, req.id);
  t.equal(ended.status, 'completed');
  const zip = new ZipFile(
    (await app.inject({ method: 'GET', url: `/v1/requests/${req.id}/report`, headers: auth(keys.acme) })).rawPayload,
  );
  const clockIn = zip.json('data.json').features.find((f: { id: string }) => f.id === 'clock-in');
  t.equal(clockIn.datasets.provided_files.length, 1);
  const path = clockIn.datasets.provided_files[0].file;
  t.same(zip.read(path), bytes, 'the uploaded file is in the archive');
  t.match(zip.text('index.html'), /Exported from the attendance machines/);
});

t.test('manual erasure: confirmed with a note, shown on the receipt', async (t) => {
  t.equal((await put('clock-in', { enabled: true, adapter: 'manual' })).statusCode, 200);
  t.teardown(() => put('clock-in', { enabled: true, adapter: 'built_in' }));
  const req = await createRequest(sys, { type: 'deletion', subject: { accountId: 'carol' }, features: ['clock-in'] });
  await waitForStatus(req.id, 'action_required');
  const upload = await app.inject({
    method: 'POST',
    url: `/v1/requests/${req.id}/tasks/clock-in/files?name=x.txt`,
    headers: { ...auth(keys.acme), 'content-type': 'text/plain' },
    payload: 'x',
  });
  t.equal(upload.statusCode, 409, 'a deletion is confirmed, not uploaded');
  await app.inject({
    method: 'POST',
    url: `/v1/requests/${req.id}/tasks/clock-in/complete`,
    headers: auth(keys.acme),
    payload: { note: 'Erased from the attendance machines by hand' },
  });
  const ended = await waitForEnd(sys, req.id);
  t.equal(ended.status, 'completed');
  const receipt = (await app.inject({ method: 'GET', url: `/v1/requests/${req.id}/report`, headers: auth(keys.acme) })).body;
  t.match(receipt, /Erased from the attendance machines by hand/);
});
