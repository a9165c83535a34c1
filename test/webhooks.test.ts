import t, { type Test } from 'tap';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { verify } from '../src/connectors/signing.js';
import { startWorker } from '../src/worker/worker.js';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';

/**
 * Webhooks against a real HTTP receiver on a local port: a request's journey arrives in order and
 * signed as the feature connector signs; a receiver that fails is tried again with backoff; a replay
 * sends a delivery again; and a payload holds ids and statuses, nothing about the subject.
 */

const sys = await startSystem(t, { WEBHOOK_BACKOFF_MS: '40', WEBHOOK_POLL_MS: '50', WEBHOOK_ATTEMPTS: '3' });
const { app, keys } = sys;

interface Received {
  headers: IncomingHttpHeaders;
  path: string;
  raw: string;
  body: Record<string, unknown>;
  answered: number;
}

interface Receiver {
  url: string;
  received: Received[];
  /** The status to answer the next call with. */
  answer: (n: number) => number;
}

async function receiver(t: Test, answer: (n: number) => number = () => 204): Promise<Receiver> {
  const r: Receiver = { url: '', received: [], answer };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const answered = r.answer(r.received.length);
      r.received.push({ headers: req.headers, path: req.url ?? '', raw, body: JSON.parse(raw), answered });
      res.writeHead(answered, { 'content-type': 'text/plain' }).end('a body the service never reads: alice@acme.example');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/dsar?source=test`;
  return r;
}

async function register(url: string, events = ['request.status_changed']) {
  const res = await app.inject({ method: 'POST', url: '/v1/webhooks', headers: auth(keys.acme), payload: { url, events } });
  if (res.statusCode !== 201) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json() as { id: string; secret: string };
}

async function deliveries(webhookId: string) {
  const res = await app.inject({ method: 'GET', url: `/v1/webhooks/${webhookId}/deliveries?limit=100`, headers: auth(keys.acme) });
  return res.json().items as Array<{ id: string; requestId: string; state: string; attempts: number; lastStatusCode: number | null; lastError: string | null; sequence: number }>;
}

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function validSignature(secret: string, r: Received): boolean {
  const signature = { timestamp: r.headers['x-dsar-timestamp'] as string, signature: r.headers['x-dsar-signature'] as string };
  return verify(secret, { method: 'POST', path: r.path, body: r.raw }, signature).ok;
}

const ofRequest = (r: Receiver, id: string) => r.received.filter((x) => x.body.requestId === id && x.answered < 300);

t.test('a request journey is delivered in order, signed, with ids and statuses only', async (t) => {
  const r = await receiver(t);
  const hook = await register(r.url);
  t.match(hook.secret, /^whsec_/, 'the secret is shown at creation');
  const list = await app.inject({ method: 'GET', url: '/v1/webhooks', headers: auth(keys.acme) });
  t.same(list.json().items.map((w: { id: string }) => w.id), [hook.id]);
  t.notMatch(list.body, hook.secret, 'and never again');

  const req = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: ['im'] });
  await waitForEnd(sys, req.id);
  const journey = await until('the completed event', () => {
    const got = ofRequest(r, req.id);
    return got.some((x) => x.body.status === 'completed') ? got : undefined;
  });
  const statuses = journey.map((x) => x.body.status);
  t.equal(statuses[0], 'received', `the journey: ${statuses.join(' > ')}`);
  t.equal(statuses.at(-1), 'completed');
  t.ok(statuses.includes('processing'));
  const sequences = journey.map((x) => x.body.sequence as number);
  t.same(sequences, [...sequences].sort((a, b) => a - b), 'arrived in the order of their sequence');
  t.equal(new Set(sequences).size, sequences.length, 'each event once');
  for (const [i, x] of journey.entries()) {
    if (i > 0) t.equal(x.body.previousStatus, journey[i - 1]!.body.status, `previousStatus of ${x.body.status}`);
  }
  t.ok(journey.every((x) => validSignature(hook.secret, x)), 'every delivery verifies with the connector signing scheme');
  t.notOk(validSignature('whsec_another-secret-entirely', journey[0]!), 'and not with another secret');
  for (const x of journey) {
    t.same(Object.keys(x.body).sort(), ['id', 'occurredAt', 'requestId', 'sequence', 'status', 'tenantId', 'type', ...(x.body.previousStatus ? ['previousStatus'] : [])].sort());
    t.notMatch(x.raw, /alice|Martin|acme\.example/i, 'no personal data in the payload');
    t.equal(x.headers['x-dsar-delivery'], x.body.id);
    t.equal(x.headers['x-dsar-event'], 'request.status_changed');
  }
  const log = (await deliveries(hook.id)).filter((d) => d.requestId === req.id);
  t.equal(log.length, journey.length, 'a log row per delivery');
  t.ok(log.every((d) => d.state === 'delivered' && d.attempts === 1 && d.lastStatusCode === 204), 'each delivered at the first try');

  const removed = await app.inject({ method: 'DELETE', url: `/v1/webhooks/${hook.id}`, headers: auth(keys.acme) });
  t.equal(removed.statusCode, 204);
  const gone = await app.inject({ method: 'GET', url: `/v1/webhooks/${hook.id}/deliveries`, headers: auth(keys.acme) });
  t.equal(gone.statusCode, 404);
});

t.test('a receiver that fails twice gets the delivery on the third try', async (t) => {
  const r = await receiver(t, (n) => (n < 2 ? 503 : 200));
  const hook = await register(r.url);
  const req = await createRequest(sys, { type: 'export', subject: { accountId: 'alice' }, features: ['im'] });
  await waitForEnd(sys, req.id);
  await until('the completed event', () => (ofRequest(r, req.id).some((x) => x.body.status === 'completed') ? true : undefined));
  const [first, second, third] = r.received;
  t.same([first?.answered, second?.answered, third?.answered], [503, 503, 200]);
  t.equal(first?.body.id, third?.body.id, 'the same delivery, tried three times');
  t.equal(first?.raw, third?.raw, 'with the same payload');
  t.ok([first, second, third].every((x) => x && validSignature(hook.secret, x)));
  const log = await deliveries(hook.id);
  const row = log.find((d) => d.id === first?.body.id);
  t.match(row, { state: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null });
  t.same(ofRequest(r, req.id)[0]?.body.status, 'received', 'the later events waited for it');
});

t.test('a failed delivery is replayed', async (t) => {
  let up = false;
  const r = await receiver(t, () => (up ? 200 : 500));
  const hook = await register(r.url);
  const req = await createRequest(sys, { type: 'access', subject: { accountId: 'bob' }, features: ['im'] });
  await waitForEnd(sys, req.id);
  const failed = await until('a failed delivery', async () => (await deliveries(hook.id)).find((d) => d.requestId === req.id && d.state === 'failed'));
  t.match(failed, { attempts: 3, lastStatusCode: 500, lastError: 'http-status' }, 'every attempt was made and logged');
  up = true;
  const replay = await app.inject({
    method: 'POST',
    url: `/v1/webhooks/${hook.id}/deliveries/${failed.id}/replay`,
    headers: auth(keys.acme),
  });
  t.equal(replay.statusCode, 202);
  t.equal(replay.json().state, 'pending');
  const delivered = await until('the replayed delivery', async () => (await deliveries(hook.id)).find((d) => d.id === failed.id && d.state === 'delivered'));
  t.equal(delivered.attempts, 4, 'one more attempt');
  const resent = r.received.filter((x) => x.body.id === failed.id);
  t.equal(resent.at(-1)?.answered, 200, 'the receiver got it');
  t.ok(validSignature(hook.secret, resent.at(-1)!), 'signed afresh');
  const unknown = await app.inject({
    method: 'POST',
    url: `/v1/webhooks/${hook.id}/deliveries/00000000-0000-4000-8000-000000000000/replay`,
    headers: auth(keys.acme),
  });
  t.equal(unknown.statusCode, 404);
});

t.test('an extension is delivered to the endpoints that asked for it, with the status it left unchanged', async (t) => {
  const r = await receiver(t);
  const hook = await register(r.url, ['request.extended']);
  // A deletion waits for approval (the tenant reviews deletions): an open request to extend.
  const created = await app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: auth(keys.acme),
    payload: { type: 'deletion', subject: { accountId: 'carol' }, features: ['calendar'], verification: { method: 'sso', note: 'signed in' } },
  });
  t.equal(created.json().status, 'awaiting_approval');
  const id = created.json().id as string;
  const extended = await app.inject({ method: 'POST', url: `/v1/requests/${id}/extend`, headers: auth(keys.acme), payload: { reason: 'complex request', months: 1 } });
  t.equal(extended.statusCode, 200);
  await app.inject({ method: 'POST', url: `/v1/requests/${id}/cancel`, headers: auth(keys.acme) });
  const [event] = await until('the extension', () => (ofRequest(r, id).length > 0 ? ofRequest(r, id) : undefined));
  t.match(event?.body, { type: 'request.extended', requestId: id, status: 'awaiting_approval' });
  t.notOk(event?.body.previousStatus, 'an extension changes no status');
  t.ok(event && validSignature(hook.secret, event));
  await sleep(300);
  t.equal(ofRequest(r, id).length, 1, 'and none of its status changes: the endpoint did not ask for them');
});

t.test('an endpoint the service may not call is refused at registration', async (t) => {
  for (const url of ['http://169.254.169.254/latest', 'https://localhost/hook', 'https://10.0.0.8/hook', 'https://user:pw@example.com/']) {
    const res = await app.inject({ method: 'POST', url: '/v1/webhooks', headers: auth(keys.acme), payload: { url, events: ['request.extended'] } });
    t.equal(res.statusCode, 400, url);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.equal(res.json().errors?.[0]?.field, '/url');
  }
  const other = await app.inject({ method: 'GET', url: '/v1/webhooks', headers: auth(keys.globex) });
  t.same(other.json().items, [], "another tenant sees none of acme's endpoints");
});

t.test('deliveries live in Postgres: ones no queue holds are enqueued when a worker runs', async (t) => {
  // No worker yet: the request's first events and their deliveries are written, and Redis holds no job of them.
  const quiet = await startSystem(t, { WEBHOOK_BACKOFF_MS: '40', WEBHOOK_POLL_MS: '50' }, { worker: false });
  const r = await receiver(t);
  const res = await quiet.app.inject({ method: 'POST', url: '/v1/webhooks', headers: auth(quiet.keys.acme), payload: { url: r.url, events: ['request.status_changed'] } });
  const hook = res.json() as { id: string; secret: string };
  const req = await createRequest(quiet, { type: 'access', subject: { accountId: 'alice' }, features: ['im'] });
  const pending = (await quiet.ctx.webhooks.deliveries('acme', hook.id, { limit: 10 })).items;
  t.ok(pending.length > 0 && pending.every((d) => d.state === 'pending'), 'written as pending, with the events');
  t.equal(r.received.length, 0, 'nothing sent without a worker');
  const worker = startWorker(quiet.ctx);
  await waitForEnd(quiet, req.id);
  const journey = await until('the completed event', () => {
    const got = ofRequest(r, req.id);
    return got.some((x) => x.body.status === 'completed') ? got : undefined;
  });
  t.equal(journey[0]?.body.status, 'received', 'from the first event on, in order');
  t.ok(journey.every((x) => validSignature(hook.secret, x)));
  await worker.close();
});
