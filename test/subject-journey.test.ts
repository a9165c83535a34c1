import t from 'tap';
import { auth, startSystem, subjectToken, waitForEnd } from './helper.js';

// Through the API alone, as the people meet it: a data subject erases their account, an agent
// approves, the worker erases, and the trail tells the whole story with who did each step.
const sys = await startSystem(t);
const { app, keys } = sys;
const call = (method: 'GET' | 'POST', url: string, credential: string, payload?: object) =>
  app.inject({ method, url, headers: auth(credential), ...(payload ? { payload } : {}) });

t.test('a stale login cannot erase: 401 step-up-required', async (t) => {
  const stale = await subjectToken(sys, 'acme', 'bob', { authAgeSeconds: 301 });
  const res = await call('POST', '/v1/requests', stale, { type: 'deletion' });
  t.equal(res.statusCode, 401);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.match(res.json(), { type: 'urn:dsar:problem:step-up-required', status: 401 });
  const list = await call('GET', '/v1/requests?type=deletion', stale);
  t.same(list.json().items, [], 'nothing was taken');
  t.equal((await call('POST', '/v1/requests', stale, { type: 'access', features: ['im'] })).statusCode, 202, 'reading needs no fresh login');
});

t.test('a subject erases their account: review, approval, erasure, and the trail', async (t) => {
  const agent = await call('POST', '/v1/api-keys', keys.acme, { name: 'Dana (support)', role: 'agent' });
  t.equal(agent.statusCode, 201);
  const agentKey = agent.json().key as string;
  const agentId = agent.json().id as string;
  const subject = await subjectToken(sys, 'acme', 'alice', { authAgeSeconds: 30 });
  const organized = async (account: string) =>
    (await sys.ctx.featureSql('calendar')`select count(*)::int as n from calendar.events where tenant_id = 'acme' and organizer_account_id = ${account}`)[0]?.n;
  t.ok((await organized('alice')) > 0, 'alice organizes events before');

  const created = await call('POST', '/v1/requests', subject, { type: 'deletion', features: ['calendar', 'im'] });
  t.equal(created.statusCode, 202);
  const request = created.json();
  t.match(request, {
    status: 'awaiting_approval',
    subject: { accountId: 'alice' },
    requestedBy: { type: 'subject', id: 'alice' },
    verification: { method: 'subject_token' },
  });
  const own = (await call('GET', '/v1/requests/stats', subject)).json();
  t.same(own.byStatus, { awaiting_approval: 1 }, "a subject's dashboard counts their own requests only");
  const tenant = (await call('GET', '/v1/requests/stats', agentKey)).json();
  t.ok(Object.values(tenant.byStatus as Record<string, number>).reduce((a, b) => a + b, 0) > 1, "an agent's counts the tenant's");
  const again = await call('POST', '/v1/requests', subject, { type: 'deletion', features: ['calendar', 'im'] });
  t.equal(again.statusCode, 200, 'asked twice: the open request is the answer');
  t.equal(again.json().id, request.id);

  const queue = await call('GET', '/v1/requests?status=awaiting_approval', agentKey);
  t.ok(queue.json().items.some((r: { id: string }) => r.id === request.id), "in the agent's queue");
  t.equal((await call('POST', `/v1/requests/${request.id}/approve`, subject)).statusCode, 403, 'a subject cannot approve their own');
  const approved = await call('POST', `/v1/requests/${request.id}/approve`, agentKey);
  t.equal(approved.statusCode, 200);

  const done = await waitForEnd(sys, request.id, agentKey);
  t.equal(done.status, 'completed');
  const receipt = await call('GET', `/v1/requests/${request.id}/report`, subject);
  t.equal(receipt.statusCode, 200, 'the subject downloads their receipt');
  t.equal(receipt.json().requestId, request.id);
  t.equal(await organized('alice'), 0, "alice's calendar events are erased");

  const events = (await call('GET', `/v1/requests/${request.id}/events`, subject)).json().items as {
    kind: string;
    actor: { type: string; id: string | null; name: string | null };
  }[];
  // `queued` is recorded unless a worker started the request first (then it goes straight to processing).
  const story = events.filter((e) => !e.kind.startsWith('task_') && e.kind !== 'queued').map((e) => `${e.kind} by ${e.actor.type}`);
  t.same(
    story,
    [
      'received by subject',
      'awaiting_approval by system', // the tenant's rule put it under review
      'duplicate_received by subject',
      'approved by api_key',
      'processing by system',
      'completed by system',
      'result_downloaded by subject',
    ],
    story.join(' → '),
  );
  t.match(events.find((e) => e.kind === 'approved')?.actor, { type: 'api_key', id: agentId, name: 'Dana (support)' });
  t.ok(events.filter((e) => e.kind === 'task_completed').length === 2, 'each feature erased');
  const audit = await call('GET', `/v1/audit?requestId=${request.id}`, keys.acme);
  t.equal(audit.statusCode, 200);
  t.same(
    audit.json().items.map((e: { kind: string }) => e.kind).sort(),
    events.map((e) => e.kind).sort(),
    "the tenant's audit trail holds the same story",
  );
  const keyMinted = await call('GET', '/v1/audit?kind=api_key_created', keys.acme);
  t.match(
    keyMinted.json().items.find((e: { detail: { id?: string } }) => e.detail?.id === agentId),
    { actor: { type: 'api_key' }, detail: { name: 'Dana (support)', role: 'agent' } },
    'and the minting of the agent key, by the admin',
  );
  t.notOk(JSON.stringify(keyMinted.json()).includes(agentKey), 'never the key itself');
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/api-keys/${agentId}`, headers: auth(keys.acme) })).statusCode, 204);
  t.equal((await call('GET', '/v1/requests', agentKey)).statusCode, 401, 'revoked at once');
  const revoked = await call('GET', '/v1/audit?kind=api_key_revoked', keys.acme);
  t.match(revoked.json().items, [{ actor: { type: 'api_key' }, detail: { id: agentId } }]);
});
