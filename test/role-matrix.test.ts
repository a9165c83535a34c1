import t from 'tap';
import { auth, createRequest, startSystem, subjectToken, VERIFIED, waitForEnd, type TestSystem } from './helper.js';
import { ROLES, type Role } from '../src/auth/principal.js';

/**
 * Who may call what: every role × every /v1 route × a resource of their own, of another subject of
 * the tenant and of another tenant, with the exact status. The routes come from the app's route
 * table (its OpenAPI document lists every route; a /v1 route without a permission does not even
 * start, auth.test.ts): a route without a row here fails this test, so none can be forgotten.
 *
 * A row says which roles hold the route's permission and what an allowed call on their own resource
 * answers. The rest follows from the rules: a role without the permission gets 403 (whatever the
 * resource: the route, not the resource, is what it lacks, so the answer tells nothing about the
 * resource); another tenant's resource is 404; another subject's request is 404 for a subject and
 * like their own for a key. `expect` overrides a cell where the route has a rule of its own.
 */

type Target = 'own' | 'otherSubject' | 'otherTenant';
const TARGETS: readonly Target[] = ['own', 'otherSubject', 'otherTenant'];

/** The resources a call is about: "own" is alice's of acme (the subject's token is alice's). */
interface Fixtures {
  /** Completed access requests. */
  access: Record<Target, string>;
  /** Completed deletion requests. */
  deletion: Record<Target, string>;
  /** Export requests waiting for a manual task (clock-in); another tenant's is any of its requests. */
  manual: Record<Target, string>;
  /** Webhook endpoints with a delivery (of the fixtures' requests) each; other subject: the tenant's own. */
  webhook: Record<Target, { id: string; deliveryId: string }>;
}

interface Call {
  /** The route's path with its parameters filled in. */
  url: string;
  payload?: unknown;
  headers?: Record<string, string>;
}

interface Row {
  /** As the route table (OpenAPI) names it, e.g. `GET /v1/requests/{id}`. */
  route: string;
  allowed: readonly Role[];
  /** Status of an allowed call. */
  ok: number;
  /** The resources the route can be about (default: all three). */
  targets?: readonly Target[];
  /** The call for a target; `fresh` when a call changes its resource, so each gets its own. */
  call(target: Target, f: Fixtures, fresh: Fresh, role: Role): Promise<Call> | Call;
  expect?: Partial<Record<Role, Partial<Record<Target, number>>>>;
}

/**
 * A new resource for one call: an access request waiting at a manual task, a deletion awaiting
 * approval, one awaiting the subject's answer, an access request awaiting release, or an agent key.
 * A subject has one open request per type, so a fresh request first cancels (or releases) the open
 * one a call before it left behind. `approvable`: a deletion awaiting approval of another account of
 * the target's tenant, since once approved it runs, and a completed deletion erases its subject's
 * earlier results (the fixtures' access ones).
 */
type Fresh = (
  kind: 'manual' | 'review' | 'approvable' | 'awaitingSubject' | 'awaitingRelease' | 'agentKey' | 'webhook',
  target: Target,
) => Promise<string>;

const ALL = ROLES;
const KEYS: readonly Role[] = ['admin', 'agent'];
const ADMIN: readonly Role[] = ['admin'];
const OWN_ONLY: readonly Target[] = ['own'];
/** Nothing listens there: deliveries stay pending or fail, which the routes' answers do not depend on. */
const WEBHOOK_URL = 'http://127.0.0.1:9/matrix';
const ACCOUNT: Record<Target, string> = { own: 'alice', otherSubject: 'bob', otherTenant: 'alice' };

export const ROWS: Row[] = [
  {
    route: 'POST /v1/requests',
    allowed: ALL,
    ok: 202,
    targets: ['own', 'otherSubject'],
    // A subject asks about themselves (a deletion: their token's login is fresh); a key for someone of
    // its tenant, saying how it verified them: one account per call, so none is a duplicate.
    call: (target, _f, _fresh, role) => ({
      url: '/v1/requests',
      payload:
        role === 'subject'
          ? { type: 'deletion', subject: { accountId: ACCOUNT[target] } }
          : { type: 'access', subject: { accountId: `${ACCOUNT[target]}-${role}` }, features: ['im'], verification: VERIFIED },
    }),
    expect: { subject: { otherSubject: 422 } },
  },
  {
    route: 'GET /v1/requests',
    allowed: ALL,
    ok: 200,
    targets: ['own', 'otherSubject'],
    call: (target) => ({ url: `/v1/requests?accountId=${ACCOUNT[target]}` }),
    // A subject's list holds only their own requests (asserted below); asking for another's finds none.
    expect: { subject: { otherSubject: 200 } },
  },
  { route: 'GET /v1/requests/stats', allowed: ALL, ok: 200, targets: OWN_ONLY, call: () => ({ url: '/v1/requests/stats' }) },
  { route: 'GET /v1/requests/{id}', allowed: ALL, ok: 200, call: (target, f) => ({ url: `/v1/requests/${f.access[target]}` }) },
  { route: 'GET /v1/requests/{id}/events', allowed: ALL, ok: 200, call: (target, f) => ({ url: `/v1/requests/${f.access[target]}/events` }) },
  {
    route: 'POST /v1/requests/{id}/approve',
    allowed: KEYS,
    ok: 200,
    call: async (target, _f, fresh) => ({ url: `/v1/requests/${await fresh('approvable', target)}/approve` }),
  },
  {
    route: 'POST /v1/requests/{id}/reject',
    allowed: KEYS,
    ok: 200,
    call: async (target, _f, fresh) => ({
      url: `/v1/requests/${await fresh('review', target)}/reject`,
      payload: { reason: 'identity_not_verified', note: 'The account does not match the caller' },
    }),
  },
  {
    route: 'POST /v1/requests/{id}/request-info',
    allowed: KEYS,
    ok: 200,
    call: async (target, _f, fresh) => ({
      url: `/v1/requests/${await fresh('review', target)}/request-info`,
      payload: { note: 'Which of your accounts do you mean?' },
    }),
  },
  {
    route: 'POST /v1/requests/{id}/respond',
    allowed: ALL,
    ok: 200,
    call: async (target, _f, fresh) => ({
      url: `/v1/requests/${await fresh('awaitingSubject', target)}/respond`,
      payload: { note: 'The work account' },
    }),
  },
  {
    route: 'POST /v1/requests/{id}/release',
    allowed: KEYS,
    ok: 200,
    call: async (target, _f, fresh) => ({ url: `/v1/requests/${await fresh('awaitingRelease', target)}/release`, payload: {} }),
  },
  {
    route: 'POST /v1/requests/{id}/extend',
    allowed: KEYS,
    ok: 200,
    call: async (target, _f, fresh) => ({
      url: `/v1/requests/${await fresh('review', target)}/extend`,
      payload: { reason: 'Many files to review', months: 1 },
    }),
  },
  {
    route: 'POST /v1/requests/{id}/cancel',
    allowed: ALL,
    ok: 200,
    call: async (target, _f, fresh) => ({ url: `/v1/requests/${await fresh('manual', target)}/cancel` }),
  },
  {
    route: 'POST /v1/requests/{id}/retry',
    allowed: KEYS,
    // The fixture completed: an allowed call gets past the permission and the tenant to the rule (409
    // not-retryable); retrying a failed one is retry.test.ts's.
    ok: 409,
    call: (target, f) => ({ url: `/v1/requests/${f.access[target]}/retry` }),
  },
  {
    route: 'POST /v1/requests/retry',
    allowed: KEYS,
    ok: 202,
    targets: OWN_ONLY,
    // Nothing created that early: the call retries none of the fixtures.
    call: () => ({ url: '/v1/requests/retry', payload: { createdBefore: '2000-01-01T00:00:00Z' } }),
  },
  { route: 'GET /v1/requests/{id}/report', allowed: ALL, ok: 200, call: (target, f) => ({ url: `/v1/requests/${f.access[target]}/report` }) },
  {
    route: 'GET /v1/requests/{id}/report/view/{path}',
    allowed: ALL,
    ok: 200,
    call: (target, f) => ({ url: `/v1/requests/${f.access[target]}/report/view/index.html` }),
  },
  { route: 'GET /v1/requests/{id}/receipt', allowed: ALL, ok: 200, call: (target, f) => ({ url: `/v1/requests/${f.deletion[target]}/receipt` }) },
  { route: 'GET /v1/receipts/public-key', allowed: ALL, ok: 200, targets: OWN_ONLY, call: () => ({ url: '/v1/receipts/public-key' }) },
  {
    route: 'POST /v1/requests/{id}/links',
    allowed: KEYS,
    ok: 201,
    call: (target, f) => ({ url: `/v1/requests/${f.access[target]}/links`, payload: {} }),
  },
  { route: 'GET /v1/requests/{id}/record', allowed: ADMIN, ok: 200, call: (target, f) => ({ url: `/v1/requests/${f.deletion[target]}/record` }) },
  { route: 'GET /v1/reports/ccpa-metrics', allowed: ADMIN, ok: 200, targets: OWN_ONLY, call: () => ({ url: '/v1/reports/ccpa-metrics?year=2026' }) },
  { route: 'GET /v1/requests/{id}/downloads', allowed: ALL, ok: 200, call: (target, f) => ({ url: `/v1/requests/${f.access[target]}/downloads` }) },
  {
    route: 'POST /v1/requests/{id}/tasks/{feature}/complete',
    allowed: KEYS,
    ok: 200,
    call: async (target, _f, fresh) => ({
      url: `/v1/requests/${await fresh('manual', target)}/tasks/clock-in/complete`,
      payload: { note: 'Exported from the attendance machines' },
    }),
  },
  {
    route: 'POST /v1/requests/{id}/tasks/{feature}/files',
    allowed: KEYS,
    ok: 201,
    call: (target, f) => ({
      url: `/v1/requests/${f.manual[target]}/tasks/clock-in/files?name=clock-ins.csv`,
      payload: 'date,time\n2026-11-02,08:59\n',
      headers: { 'content-type': 'text/csv' },
    }),
  },
  { route: 'GET /v1/tenant/features', allowed: ADMIN, ok: 200, targets: OWN_ONLY, call: () => ({ url: '/v1/tenant/features' }) },
  {
    route: 'PUT /v1/tenant/features/{feature}',
    allowed: ADMIN,
    ok: 200,
    targets: OWN_ONLY,
    // The setting the fixtures already use: the call changes nothing.
    call: () => ({ url: '/v1/tenant/features/clock-in', payload: { enabled: true, adapter: 'manual' } }),
  },
  { route: 'GET /v1/tenant/policy', allowed: ADMIN, ok: 200, targets: OWN_ONLY, call: () => ({ url: '/v1/tenant/policy' }) },
  {
    route: 'PUT /v1/tenant/policy',
    allowed: ADMIN,
    ok: 200,
    targets: OWN_ONLY,
    call: () => ({ url: '/v1/tenant/policy', payload: { sharedData: 'own_only' } }),
  },
  { route: 'GET /v1/tenant/notice', allowed: KEYS, ok: 200, targets: OWN_ONLY, call: () => ({ url: '/v1/tenant/notice' }) },
  {
    route: 'PUT /v1/tenant/notice',
    allowed: ADMIN,
    ok: 200,
    targets: OWN_ONLY,
    call: () => ({ url: '/v1/tenant/notice', payload: { region: 'European Economic Area' } }),
  },
  { route: 'GET /v1/tenant/approval', allowed: ADMIN, ok: 200, targets: OWN_ONLY, call: () => ({ url: '/v1/tenant/approval' }) },
  {
    route: 'PUT /v1/tenant/approval',
    allowed: ADMIN,
    ok: 200,
    targets: OWN_ONLY,
    // The defaults: the call changes nothing.
    call: () => ({ url: '/v1/tenant/approval', payload: { access: 'auto', export: 'auto', deletion: 'review', release: 'auto' } }),
  },
  { route: 'GET /v1/audit', allowed: ADMIN, ok: 200, targets: OWN_ONLY, call: () => ({ url: '/v1/audit' }) },
  { route: 'GET /v1/catalogue', allowed: ALL, ok: 200, targets: OWN_ONLY, call: () => ({ url: '/v1/catalogue' }) },
  {
    route: 'POST /v1/api-keys',
    allowed: ADMIN,
    ok: 201,
    targets: OWN_ONLY,
    call: () => ({ url: '/v1/api-keys', payload: { name: 'matrix', role: 'agent' } }),
  },
  { route: 'GET /v1/api-keys', allowed: ADMIN, ok: 200, targets: OWN_ONLY, call: () => ({ url: '/v1/api-keys' }) },
  {
    route: 'DELETE /v1/api-keys/{id}',
    allowed: ADMIN,
    ok: 204,
    targets: ['own', 'otherTenant'],
    call: async (target, _f, fresh) => ({ url: `/v1/api-keys/${await fresh('agentKey', target)}` }),
  },
  {
    route: 'POST /v1/webhooks',
    allowed: ADMIN,
    ok: 201,
    targets: OWN_ONLY,
    call: () => ({ url: '/v1/webhooks', payload: { url: WEBHOOK_URL, events: ['request.extended'] } }),
  },
  { route: 'GET /v1/webhooks', allowed: ADMIN, ok: 200, targets: OWN_ONLY, call: () => ({ url: '/v1/webhooks' }) },
  {
    route: 'DELETE /v1/webhooks/{id}',
    allowed: ADMIN,
    ok: 204,
    targets: ['own', 'otherTenant'],
    call: async (target, _f, fresh) => ({ url: `/v1/webhooks/${await fresh('webhook', target)}` }),
  },
  {
    route: 'GET /v1/webhooks/{id}/deliveries',
    allowed: ADMIN,
    ok: 200,
    targets: ['own', 'otherTenant'],
    call: (target, f) => ({ url: `/v1/webhooks/${f.webhook[target].id}/deliveries` }),
  },
  {
    route: 'POST /v1/webhooks/{id}/deliveries/{deliveryId}/replay',
    allowed: ADMIN,
    ok: 202,
    targets: ['own', 'otherTenant'],
    call: (target, f) => ({ url: `/v1/webhooks/${f.webhook[target].id}/deliveries/${f.webhook[target].deliveryId}/replay` }),
  },
];

function expected(row: Row, role: Role, target: Target): number {
  const override = row.expect?.[role]?.[target];
  if (override !== undefined) return override;
  if (!row.allowed.includes(role)) return 403;
  if (target === 'otherTenant') return 404;
  if (target === 'otherSubject' && role === 'subject') return 404;
  return row.ok;
}

/** Every operation of the route table under /v1, as `METHOD /path`. */
async function routeTable(sys: TestSystem): Promise<string[]> {
  await sys.app.ready();
  const doc = sys.app.swagger() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

async function waitForStatus(sys: TestSystem, id: string, key: string, status: string) {
  for (let i = 0; i < 600; i++) {
    const body = (await sys.app.inject({ method: 'GET', url: `/v1/requests/${id}`, headers: auth(key) })).json();
    if (body.status === status) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`request ${id} never reached ${status}`);
}

t.test('every role × every /v1 route × own / other subject / other tenant', async (t) => {
  const sys = await startSystem(t);
  const { app, keys } = sys;
  const agentKey = await sys.ctx.apiKeys.create('acme', 'matrix agent', 'agent');
  const credentials: Record<Role, string> = {
    admin: keys.acme,
    agent: agentKey,
    subject: await subjectToken(sys, 'acme', 'alice'),
  };

  const rows = new Map(ROWS.map((row) => [row.route, row]));
  const table = await routeTable(sys);
  t.same(table.filter((route) => !rows.has(route)), [], 'every /v1 route has a row in the matrix');
  t.same([...rows.keys()].filter((route) => !table.includes(route)), [], 'every row is a route of the app');

  // Both tenants answer clock-in by hand, so that requests covering it wait for an agent.
  for (const key of [keys.acme, keys.globex]) {
    const res = await app.inject({ method: 'PUT', url: '/v1/tenant/features/clock-in', headers: auth(key), payload: { enabled: true, adapter: 'manual' } });
    t.equal(res.statusCode, 200);
  }
  const keyOf = (target: Target) => (target === 'otherTenant' ? keys.globex : keys.acme);
  const post = async (key: string, url: string, payload?: object) => {
    const res = await app.inject({ method: 'POST', url, headers: auth(key), ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  /** A new request: one the subject still has open of that type is cancelled (or released) first. */
  const open = async (target: Target, type: string, features: string[], accountId = ACCOUNT[target]): Promise<string> => {
    const key = keyOf(target);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: auth(key),
      payload: { type, subject: { accountId }, features, verification: VERIFIED },
    });
    if (res.statusCode === 202) return res.json().id;
    if (res.statusCode !== 200) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
    const { id, status } = res.json();
    // A result awaiting release can no longer be cancelled: it is released and ends.
    if (status === 'awaiting_release') {
      await post(key, `/v1/requests/${id}/release`, {});
      await waitForEnd(sys, id, key);
    } else {
      await post(key, `/v1/requests/${id}/cancel`);
    }
    return open(target, type, features, accountId);
  };
  const each = async <T = string>(make: (target: Target) => Promise<T>) => {
    const entries = await Promise.all(TARGETS.map(async (target) => [target, await make(target)] as const));
    return Object.fromEntries(entries) as Record<Target, T>;
  };
  const manual = async (target: Target, type = 'access') => {
    const id = await open(target, type, ['clock-in']);
    await waitForStatus(sys, id, keyOf(target), 'action_required');
    return id;
  };
  const ended = async (target: Target, body: object) => {
    const { id } = await createRequest(sys, { subject: { accountId: ACCOUNT[target] }, ...body }, keyOf(target));
    await waitForEnd(sys, id, keyOf(target));
    return id as string;
  };
  /** The tenant reviews results while this one is taken (decided at intake), then no longer. */
  const awaitingRelease = async (target: Target) => {
    const approval = (release: string) =>
      app.inject({ method: 'PUT', url: '/v1/tenant/approval', headers: auth(keyOf(target)), payload: { access: 'auto', export: 'auto', deletion: 'review', release } });
    await approval('review');
    const id = await open(target, 'access', ['calendar']).finally(() => approval('auto'));
    await waitForStatus(sys, id, keyOf(target), 'awaiting_release');
    return id;
  };
  // Endpoints before the requests, so that the requests' events give them deliveries.
  const endpoints = await each(async (target) => (await post(keyOf(target), '/v1/webhooks', { url: WEBHOOK_URL, events: ['request.status_changed'] })).id as string);
  // The deletions first: a completed deletion erases the subject's earlier results.
  const deletion = await each((target) => ended(target, { type: 'deletion', features: ['calendar'] }));
  const access = await each((target) => ended(target, { type: 'access', features: ['im'] }));
  const webhook = await each(async (target) => {
    const id = endpoints[target];
    const tenant = target === 'otherTenant' ? 'globex' : 'acme';
    const [delivery] = (await sys.ctx.webhooks.deliveries(tenant, id, { limit: 1 })).items;
    return { id, deliveryId: delivery!.id };
  });
  const fixtures: Fixtures = { access, deletion, manual: await each((target) => manual(target, 'export')), webhook };
  let approvals = 0;
  const fresh: Fresh = async (kind, target) => {
    if (kind === 'manual') return manual(target);
    if (kind === 'review') return open(target, 'deletion', ['calendar']);
    // An account per call: the one approved before may be running, too late to cancel.
    if (kind === 'approvable') return open(target, 'deletion', ['calendar'], `${ACCOUNT[target]}-approved-${++approvals}`);
    if (kind === 'awaitingSubject') {
      const id = await open(target, 'deletion', ['calendar']);
      await post(keyOf(target), `/v1/requests/${id}/request-info`, { note: 'Which of your accounts do you mean?' });
      return id;
    }
    if (kind === 'awaitingRelease') return awaitingRelease(target);
    if (kind === 'webhook') return (await post(keyOf(target), '/v1/webhooks', { url: WEBHOOK_URL, events: ['request.extended'] })).id;
    return (await post(keyOf(target), '/v1/api-keys', { name: 'to revoke', role: 'agent' })).id;
  };

  for (const row of ROWS) {
    const [method, path] = row.route.split(' ') as [string, string];
    for (const role of ROLES) {
      for (const target of row.targets ?? TARGETS) {
        const call = await row.call(target, fixtures, fresh, role);
        const res = await app.inject({
          method: method as 'GET',
          url: call.url,
          headers: { ...auth(credentials[role]), ...call.headers },
          ...(call.payload === undefined ? {} : { payload: call.payload as string }),
        });
        const want = expected(row, role, target);
        t.equal(res.statusCode, want, `${role} ${method} ${path} (${target}): ${res.statusCode === want ? '' : res.body.slice(0, 300)}`);
        if (want === 403) t.match(res.json(), { type: /^urn:dsar:problem:forbidden:/, status: 403 }, 'the problem names the permission');
      }
    }
  }

  const list = await app.inject({ method: 'GET', url: '/v1/requests?limit=100', headers: auth(credentials.subject) });
  const accounts = new Set(list.json().items.map((r: { subject: { accountId: string } }) => r.subject.accountId));
  t.same([...accounts], ['alice'], "a subject's list holds their own requests only");
  const all = await app.inject({ method: 'GET', url: '/v1/requests?limit=100', headers: auth(agentKey) });
  t.ok(all.json().items.some((r: { subject: { accountId: string } }) => r.subject.accountId === 'bob'), "an agent's list holds the tenant's");
});
