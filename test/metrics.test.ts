import t from 'tap';
import type { AddressInfo } from 'node:net';
import { auth, createRequest, startSystem, subjectToken, waitForEnd, type TestSystem } from './helper.js';
import { DEMO_TENANTS } from '../src/demo/people.js';
import { loadConfig } from '../src/config.js';
import { serveWorkerMetrics } from '../src/metrics/worker-server.js';

/**
 * The operators' view: Prometheus metrics at /metrics (for METRICS_TOKEN only) that reflect what
 * went through the system, and the queue dashboard (admin keys of the operators' tenants only),
 * which shows ids and no personal data.
 */

const METRICS_TOKEN = 'scraper-token-0123456789';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample of `name` whose labels include `labels`. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]?.value;
}

/** Waits until the worker has seen `n` assemblies complete (read from the registry, not a scrape: those are cached). */
async function assembled(n: number) {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const text = await sys.ctx.metrics.registry.getSingleMetricAsString('dsar_assembly_duration_seconds');
    if (value(parse(text), 'dsar_assembly_duration_seconds_count', { outcome: 'completed' }) === n) return;
  }
  throw new Error(`${n} assemblies did not complete`);
}

async function scrape(sys: TestSystem) {
  const res = await sys.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  return { res, samples: parse(res.body) };
}

const sys = await startSystem(t, { METRICS_TOKEN, CONNECTOR_RETRIES: '0', CONNECTOR_TIMEOUT_MS: '2000' });
// A real failure: the approval feature's service (HTTP connector) is not there, so its task fails on every attempt (JOB_ATTEMPTS 2).
const configured = await sys.app.inject({
  method: 'PUT',
  url: '/v1/tenant/features/approval',
  headers: auth(sys.keys.acme),
  payload: { enabled: true, adapter: 'http', connector: { baseUrl: 'http://127.0.0.1:1/', secret: 'a-secret-of-the-approval-service' } },
});
if (configured.statusCode !== 200) throw new Error(`configuring the connector: ${configured.statusCode} ${configured.body}`);

t.test('/metrics answers the scraper only', async (t) => {
  for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, auth(sys.keys.acme)]) {
    const res = await sys.app.inject({ method: 'GET', url: '/metrics', headers });
    t.equal(res.statusCode, 401);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.equal(res.headers['www-authenticate'], 'Bearer realm="metrics"');
    t.notMatch(res.body, /dsar_/, 'no metric in the refusal');
  }
  const { res } = await scrape(sys);
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);

  const off = await startSystem(t, {}, { worker: false });
  const unset = await off.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  t.equal(unset.statusCode, 404, 'without METRICS_TOKEN no metrics are served');
  t.match(unset.json().detail, /METRICS_TOKEN/);
});

t.test('the metrics reflect the requests, tasks, retries, queues and HTTP calls', async (t) => {
  const access = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: ['im', 'approval'] });
  const exported = await createRequest(sys, { type: 'export', subject: { accountId: 'bob' }, features: ['clock-in'] });
  t.equal((await waitForEnd(sys, access.id)).status, 'partially_completed');
  t.equal((await waitForEnd(sys, exported.id)).status, 'completed');
  // Waits for approval: open, and overdue once the clock is past its deadline.
  const pending = await sys.app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: auth(sys.keys.acme),
    payload: { type: 'deletion', subject: { accountId: 'carol' }, verification: { method: 'sso', note: 'signed in' } },
  });
  t.equal(pending.json().status, 'awaiting_approval');
  sys.ctx.clock = () => new Date(Date.now() + 400 * 24 * 60 * 60 * 1000);
  // A request has ended once its assembly recorded it; BullMQ marks the job completed a moment later.
  await assembled(2);

  const { res, samples } = await scrape(sys);
  t.equal(res.statusCode, 200);

  // Requests by type and status, and overdue: read from Postgres.
  t.equal(value(samples, 'dsar_requests', { type: 'access', status: 'partially_completed' }), 1);
  t.equal(value(samples, 'dsar_requests', { type: 'export', status: 'completed' }), 1);
  t.equal(value(samples, 'dsar_requests', { type: 'deletion', status: 'awaiting_approval' }), 1);
  t.equal(value(samples, 'dsar_requests_overdue', { type: 'deletion' }), 1);
  t.equal(value(samples, 'dsar_requests_overdue', { type: 'access' }), 0, 'an ended request is not overdue');
  t.equal(value(samples, 'dsar_metrics_source_up', { source: 'postgres' }), 1);
  t.equal(value(samples, 'dsar_metrics_source_up', { source: 'redis' }), 1);

  // Task attempts per feature and outcome, observed by the worker; the approval service's failure retried once.
  t.equal(value(samples, 'dsar_task_duration_seconds_count', { feature: 'im', outcome: 'completed' }), 1);
  t.equal(value(samples, 'dsar_task_duration_seconds_count', { feature: 'clock-in', outcome: 'completed' }), 1);
  t.equal(value(samples, 'dsar_task_duration_seconds_count', { feature: 'approval', outcome: 'failed' }), 2);
  t.equal(value(samples, 'dsar_task_retries_total', { feature: 'approval' }), 1);
  t.equal(value(samples, 'dsar_task_retries_total', { feature: 'im' }), undefined, 'no retry where none failed');
  t.ok(value(samples, 'dsar_task_duration_seconds_sum', { feature: 'im', outcome: 'completed' })! > 0, 'durations are measured');
  t.equal(value(samples, 'dsar_task_duration_seconds_bucket', { feature: 'im', outcome: 'completed', le: '+Inf' }), 1);
  t.equal(value(samples, 'dsar_assembly_duration_seconds_count', { outcome: 'completed' }), 2);

  // Queue depth from BullMQ: the finished jobs are kept (removeOnComplete/removeOnFail), none waits.
  t.equal(value(samples, 'dsar_queue_jobs', { queue: 'feature-tasks', state: 'completed' }), 2);
  t.equal(value(samples, 'dsar_queue_jobs', { queue: 'feature-tasks', state: 'failed' }), 1);
  t.equal(value(samples, 'dsar_queue_jobs', { queue: 'feature-tasks', state: 'waiting' }), 0);
  t.equal(value(samples, 'dsar_queue_jobs', { queue: 'assembly', state: 'completed' }), 2);
  t.equal(value(samples, 'dsar_queue_jobs', { queue: 'request-plans', state: 'waiting' }), 0, 'each request handed over as a plan job, run');

  // HTTP latency by route template, method and status class.
  const http = (labels: Record<string, string>) => value(samples, 'dsar_http_request_duration_seconds_count', labels);
  t.equal(http({ method: 'POST', route: '/v1/requests', status_class: '2xx' }), 3);
  t.ok(http({ method: 'GET', route: '/v1/requests/:id', status_class: '2xx' })! >= 2, 'polling counted under its template');
  t.equal(http({ method: 'GET', route: '/metrics', status_class: '4xx' }), 3, 'the refused scrapes');
  // Never a raw URL: no request id, account id or query string in any label.
  for (const id of [access.id, exported.id, pending.json().id, 'alice', 'bob', '?']) {
    t.notOk(samples.some((s) => Object.values(s.labels).some((v) => v.includes(id))), `no label carries ${id}`);
  }
  t.ok(value(samples, 'process_cpu_user_seconds_total')! >= 0, "and the process's own metrics");
});

t.test('the queue dashboard is for admin keys of the operators’ tenants', async (t) => {
  const agent = await sys.ctx.apiKeys.create('acme', 'support', 'agent');
  const refused = [
    { headers: {}, status: 401 },
    { headers: { authorization: 'Bearer dsar_unknown-key-0123456789' }, status: 401 },
    { headers: { authorization: `Bearer ${await subjectToken(sys, 'acme', 'alice')}` }, status: 401 },
    { headers: auth(agent), status: 403 },
    // An admin of another tenant: the dashboard shows every tenant's jobs (OPERATOR_TENANTS is acme here).
    { headers: auth(sys.keys.globex), status: 403 },
  ];
  for (const url of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/favicon-32x32.png']) {
    for (const { headers, status } of refused) {
      const res = await sys.app.inject({ method: 'GET', url, headers });
      t.equal(res.statusCode, status, `${url}: ${status}`);
      t.match(res.headers['content-type'], /^application\/problem\+json/);
      if (status === 401) t.match(res.headers['www-authenticate'], /^Basic realm=/, 'a browser asks for the key');
    }
  }
  const page = await sys.app.inject({ method: 'GET', url: '/admin/queues', headers: auth(sys.keys.acme) });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.body, /DSAR queues/);
  // A browser signs in with Basic: any user name, the key as password.
  const basic = `Basic ${Buffer.from(`operator:${sys.keys.acme}`).toString('base64')}`;
  const asset = await sys.app.inject({ method: 'GET', url: '/admin/queues/static/favicon-32x32.png', headers: { authorization: basic } });
  t.equal(asset.statusCode, 200);

  const queues = await sys.app.inject({
    method: 'GET',
    url: '/admin/queues/api/queues?activeQueue=feature-tasks&status=latest&page=1&jobsPerPage=50',
    headers: { authorization: basic },
  });
  t.equal(queues.statusCode, 200);
  const body = queues.json();
  t.same(body.queues.map((q: { name: string }) => q.name).sort(), ['assembly', 'feature-tasks', 'feature-tasks-backlog', 'request-plans']);
  const features = body.queues.find((q: { name: string }) => q.name === 'feature-tasks');
  t.ok(features.readOnlyMode, 'read-only');
  t.equal(features.jobs.length, 3);
  for (const job of features.jobs) t.same(Object.keys(job.data).sort(), ['feature', 'requestId'], 'job data: ids only');
  // Nothing personal anywhere in what the dashboard shows: names, emails, mobiles of every demo person.
  const shown = queues.body.toLowerCase();
  for (const person of DEMO_TENANTS.flatMap((tenant) => tenant.people)) {
    for (const personal of [person.name, person.email, person.mobile]) {
      if (shown.includes(personal.toLowerCase())) t.fail(`the dashboard shows ${personal}`);
    }
  }
  t.pass('no name, email or mobile of a demo person is shown');

  const retry = await sys.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/feature-tasks/retry/failed', headers: auth(sys.keys.acme) });
  t.equal(retry.statusCode, 405, 'jobs are not changed from the dashboard');
});

t.test('a worker without the API serves its own /metrics on WORKER_METRICS_PORT', async (t) => {
  const server = await serveWorkerMetrics({ ...sys.ctx, config: { ...sys.ctx.config, workerMetricsPort: 0 } });
  t.teardown(() => server.close());
  const { port } = server.server.address() as AddressInfo;
  const url = `http://${sys.ctx.config.host}:${port}/metrics`;
  t.equal((await fetch(url)).status, 401);
  const res = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  t.equal(res.status, 200);
  t.match(await res.text(), /^dsar_task_duration_seconds_count\{feature="im",outcome="completed"\} 1$/m);
});

t.test('configuration: the token, the worker port and the operators', async (t) => {
  t.same(loadConfig({ OPERATOR_TENANTS: ' acme, globex ,' }).operatorTenants, ['acme', 'globex']);
  t.same(loadConfig({}).operatorTenants, ['acme'], "embedded: the demo's tenant");
  t.same(loadConfig({ DATABASE_URL: 'postgres://db/dsar' }).operatorTenants, [], 'a deployment names its own');
  t.same(loadConfig({ DATABASE_URL: 'postgres://db/dsar', OPERATOR_TENANTS: '' }).operatorTenants, []);
  t.equal(loadConfig({}).workerMetricsPort, 9464);
  t.equal(loadConfig({ METRICS_TOKEN: '' }).metricsToken, undefined);
  t.throws(() => loadConfig({ METRICS_TOKEN: 'too-short' }), /metricsToken/);
});
