import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { auth, createRequest, startSystem, subjectToken, waitForEnd } from './helper.js';
import { verifyReceipt } from '../src/results/receipt/receipt-signing.js';
import { randomUUID } from 'node:crypto';
import { builtInAdapters } from '../src/features/registry.js';
import { forgetCorrections } from '../src/features/corrections/records.js';

// Correction requests (GDPR Art. 16, CCPA § 7023, PIPL Art. 46) through the HTTP API and the real worker.
const sys = await startSystem(t, { WEBHOOK_BACKOFF_MS: '40', WEBHOOK_POLL_MS: '50' });
const { app, keys, ctx } = sys;
const sql = ctx.database.sql;

const post = (url: string, payload: object | undefined, key: string) =>
  app.inject({ method: 'POST', url, headers: auth(key), ...(payload ? { payload } : {}) });
const get = (url: string, key = keys.acme) => app.inject({ method: 'GET', url, headers: auth(key) });

async function waitForStatus(id: string, status: string) {
  for (let i = 0; i < 600; i++) {
    const body = (await get(`/v1/requests/${id}`)).json();
    if (body.status === status) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`request ${id} never reached ${status}`);
}

/** A webhook receiver on a local port: the raw bodies it was sent. */
async function receiver(): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, bodies };
}

const NEW_NAME = 'Alice Kingsleigh-Liddell';
const NEW_EMAIL = 'alice.liddell@wonder.example';
const NEW_WORK_ADDRESS = 'Building 7, Rabbit Hole Lane';
const EXPLANATION = 'I married and changed my name in March';

t.test('a correction is checked against the catalogue', async (t) => {
  const token = await subjectToken(sys, 'acme', 'carol');
  const ask = (body: object) => post('/v1/requests', { type: 'correction', ...body }, token);
  const change = (feature: string, item: string) => ({ feature, item, value: 'x', explanation: 'wrong' });
  const unknownFeature = await ask({ changes: [change('holodeck', 'name')] });
  t.equal(unknownFeature.statusCode, 422);
  t.match(unknownFeature.json(), { type: 'urn:dsar:problem:invalid-correction', errors: [{ field: '/changes/0/feature' }] });
  t.match((await ask({ changes: [change('address-book', 'shoe-size')] })).json(), { status: 422, errors: [{ field: '/changes/0/item' }] });
  const notStored = await ask({ changes: [change('address-book', 'name'), change('im', 'clipboard')] });
  t.match(notStored.json(), { status: 422, errors: [{ field: '/changes/1/item', message: /not stored/ }] }, 'an item no store holds');
  t.match((await ask({ changes: [change('address-book', 'name'), change('address-book', 'name')] })).json(), { status: 422, errors: [{ field: '/changes/1/item' }] });
  t.match((await ask({})).json(), { status: 422, errors: [{ field: '/changes' }] }, 'a correction says what to change');
  t.match((await ask({ changes: [change('address-book', 'name')], features: ['address-book'] })).json(), { status: 422 });
  const access = await post('/v1/requests', { type: 'access', changes: [change('address-book', 'name')] }, token);
  t.match(access.json(), { status: 422, errors: [{ field: '/changes' }] }, 'only a correction takes changes');
  t.equal((await ask({ changes: [{ feature: 'address-book', item: 'name', value: '' , explanation: 'x' }] })).statusCode, 400, 'a value is given');
});

t.test('correction end to end: approved, made by the adapters and by hand, receipted, no values in the trail', async (t) => {
  const [before] = await sql`select c.name, a.email from address_book.contacts c join account_login.accounts a
    on a.tenant_id = c.tenant_id and a.account_id = c.account_id where c.tenant_id = 'acme' and c.account_id = 'alice'`;
  const oldName = String(before!.name);
  const oldEmail = String(before!.email);

  const hooks = await receiver();
  const registered = await post('/v1/webhooks', { url: hooks.url, events: ['request.status_changed'] }, keys.acme);
  t.equal(registered.statusCode, 201, registered.body);

  const token = await subjectToken(sys, 'acme', 'alice');
  const changes = [
    // The display name colleagues see is the address book entry's; the login account holds the email people sign in with.
    { feature: 'address-book', item: 'name', value: NEW_NAME, explanation: EXPLANATION },
    { feature: 'account-login', item: 'email-address', value: NEW_EMAIL, explanation: 'My new address after the name change' },
    { feature: 'account-login', item: 'welink-login-password', value: 'hunter2', explanation: 'I forgot it' },
    { feature: 'clock-in', item: 'work-address', value: NEW_WORK_ADDRESS, explanation: 'We moved office' },
  ];
  const created = await post('/v1/requests', { type: 'correction', changes }, token);
  t.equal(created.statusCode, 202, created.body);
  const req = created.json();
  t.equal(req.status, 'awaiting_approval', 'a correction is always reviewed');
  t.same(req.features, ['account-login', 'address-book', 'clock-in'], "the changes' features, in catalogue order");
  t.match(req.changes, changes.map((c) => ({ feature: c.feature, item: c.item, value: c.value, explanation: c.explanation, outcome: 'pending' })));
  t.same((await get(`/v1/requests/${req.id}`, token)).json(), req, 'the answer is the request as a read shows it, its changes too');
  t.equal((await post(`/v1/requests/${req.id}/approve`, undefined, token)).statusCode, 403, 'the subject does not approve');
  const rows = await sql`select count(*)::int as n from address_book.contacts where tenant_id = 'acme' and name = ${NEW_NAME}`;
  t.equal(rows[0]!.n, 0, 'nothing changes before approval');

  t.equal((await post(`/v1/requests/${req.id}/approve`, undefined, keys.acme)).statusCode, 200);
  const waiting = await waitForStatus(req.id, 'action_required');
  t.match(waiting.tasks.find((x: { feature: string }) => x.feature === 'clock-in'), { status: 'action_required' }, 'no adapter corrects clock-in: a task for its owner');

  const [after] = await sql`select c.name, a.email from address_book.contacts c join account_login.accounts a
    on a.tenant_id = c.tenant_id and a.account_id = c.account_id where c.tenant_id = 'acme' and c.account_id = 'alice'`;
  t.same({ ...after }, { name: NEW_NAME, email: NEW_EMAIL }, 'the profile stores hold the new values');
  t.match(waiting.changes, [
    { item: 'name', outcome: 'corrected', oldValue: oldName },
    { item: 'email-address', outcome: 'corrected', oldValue: oldEmail },
    { item: 'welink-login-password', outcome: 'refused', reason: /not corrected by request/ },
    { item: 'work-address', outcome: 'pending' },
  ]);

  const complete = (payload: object) => post(`/v1/requests/${req.id}/tasks/clock-in/complete`, payload, keys.acme);
  const workChange = waiting.changes.find((c: { item: string }) => c.item === 'work-address');
  t.match((await complete({ note: 'Checked the office plan' })).json(), { status: 422, type: 'urn:dsar:problem:invalid-decisions' }, 'every change is answered');
  t.match((await complete({ note: 'x', changes: [{ id: workChange.id, outcome: 'refused' }] })).json(), { status: 422, errors: [{ field: '/changes/0/reason' }] });
  const upload = await app.inject({
    method: 'POST',
    url: `/v1/requests/${req.id}/tasks/clock-in/files?name=x.txt`,
    headers: { ...auth(keys.acme), 'content-type': 'text/plain' },
    payload: 'x',
  });
  t.equal(upload.statusCode, 409, 'a correction task takes no files');
  const reason = 'Your work address is the office your department is assigned to; ask your manager to move you';
  const answered = await complete({ note: 'Checked the office plan', changes: [{ id: workChange.id, outcome: 'refused', reason }] });
  t.equal(answered.statusCode, 200, answered.body);

  const done = await waitForEnd(sys, req.id);
  t.equal(done.status, 'completed');
  const receipt = (await get(`/v1/requests/${req.id}/report`)).json();
  t.match(receipt, { type: 'correction', accountId: 'alice', status: 'completed' });
  t.match(receipt.changes, [
    { feature: 'address-book', item: 'name', itemLabel: /name/i, outcome: 'corrected', from: oldName, to: NEW_NAME, handledBy: 'automatically' },
    { feature: 'account-login', item: 'email-address', outcome: 'corrected', from: oldEmail, to: NEW_EMAIL, reason: null },
    { feature: 'account-login', item: 'welink-login-password', outcome: 'refused', from: null, reason: /change it yourself/ },
    { feature: 'clock-in', item: 'work-address', outcome: 'refused', to: NEW_WORK_ADDRESS, reason, handledBy: 'by_hand' },
  ]);
  t.same(receipt.recipients.map((r: { feature: string }) => r.feature), ['account-login', 'address-book'], 'recipients of the features that changed');
  const key = (await get('/v1/receipts/public-key')).json();
  t.ok(verifyReceipt(receipt, key.publicKeyPem), 'signed like the deletion receipt');
  t.notOk(verifyReceipt({ ...receipt, changes: [] }, key.publicKeyPem));
  const page = await get(`/v1/requests/${req.id}/receipt`, token);
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  for (const text of ['Record of correction', oldName, NEW_NAME, 'Refused', 'ask your manager', receipt.digest]) t.ok(page.body.includes(text), `the page shows ${text}`);

  const events = (await get(`/v1/requests/${req.id}/events`)).json().items;
  const kinds = events.map((e: { kind: string }) => e.kind);
  for (const kind of ['received', 'awaiting_approval', 'approved', 'changes_decided', 'manual_task_completed', 'completed']) t.ok(kinds.includes(kind), kind);
  t.match(events[0].detail, { type: 'correction', changes: changes.map(({ feature, item }) => ({ feature, item })) });
  const trail = JSON.stringify(events);
  for (const value of [NEW_NAME, NEW_EMAIL, NEW_WORK_ADDRESS, 'hunter2', oldName, oldEmail, EXPLANATION, 'We moved office']) {
    t.notOk(trail.includes(value), `the trail holds no value (${value})`);
  }

  // Webhooks deliver the correction's status changes like any request's: ids and statuses, no values.
  const statuses = async () =>
    hooks.bodies.map((b) => JSON.parse(b)).filter((b: { requestId: string }) => b.requestId === req.id).map((b: { status: string }) => b.status);
  for (let i = 0; i < 200 && !(await statuses()).includes('completed'); i++) await new Promise((r) => setTimeout(r, 50));
  const delivered = await statuses();
  for (const status of ['awaiting_approval', 'received', 'queued', 'processing', 'action_required', 'completed']) t.ok(delivered.includes(status), `delivered: ${status}`);
  t.notOk(hooks.bodies.some((b) => b.includes(NEW_NAME) || b.includes(oldName)), 'no value in a webhook');

  // A later deletion erases the subject's data: the correction's values and receipt go with it.
  const deletion = await createRequest(sys, { type: 'deletion', subject: { accountId: 'alice' } });
  t.equal((await waitForEnd(sys, deletion.id)).status, 'completed');
  const erased = (await get(`/v1/requests/${req.id}`)).json();
  t.equal(erased.status, 'erased');
  t.ok(erased.changes.every((c: { value: unknown; explanation: unknown; oldValue?: unknown }) => c.value === null && c.explanation === null && c.oldValue === undefined));
  t.match(erased.changes.map((c: { outcome: string }) => c.outcome), ['corrected', 'corrected', 'refused', 'refused'], 'what became of each stays on record');
  t.equal((await get(`/v1/requests/${req.id}/report`)).statusCode, 410);
  const [left] = await sql`select count(*)::int as n from requested_changes where new_value is not null or old_value is not null or explanation is not null`;
  t.equal(left!.n, 0, 'no value is left in Postgres');
  const [records] = await sql`select count(*)::int as n from corrections.records where request_id = ${req.id}`;
  t.equal(records!.n, 0, "the stores' records of what the changes replaced went when the request closed");
});

t.test('a correction run again after its store committed (the worker died before the request recorded it) reports what the store held before', async (t) => {
  const adapter = builtInAdapters.get('account-login');
  if (!adapter?.correct) throw new Error('account-login corrects');
  const subject = { tenantId: 'acme', accountId: 'bob' };
  const store = { sql: ctx.featureSql('account-login'), blobs: ctx.featureBlobs, log: ctx.log, requestId: randomUUID() };
  const email = async () => (await store.sql`select email from account_login.accounts where tenant_id = 'acme' and account_id = 'bob'`)[0]?.email;
  const before = await email();
  const changes = [
    { id: randomUUID(), item: 'email-address', value: 'bob.builder@wonder.example' },
    { id: randomUUID(), item: 'welink-login-password', value: 'hunter2' },
  ];
  const first = await adapter.correct(subject, changes, store);
  t.match(first, [{ outcome: 'corrected', oldValue: before }, { outcome: 'refused', reason: /change it yourself/ }]);
  t.equal(await email(), 'bob.builder@wonder.example', 'the store holds the new value');
  const again = await adapter.correct(subject, changes, store);
  t.same(again, first, 'the same outcomes, the old value as it was before the first run');
  await forgetCorrections(store.sql, store.requestId);
  const [left] = await store.sql`select count(*)::int as n from corrections.records where request_id = ${store.requestId}`;
  t.equal(left!.n, 0, 'forgotten');
});

t.test('values the adapter or the store refuse are refused with a reason, never quoted in the trail', async (t) => {
  const changes = [
    { feature: 'address-book', item: 'gender', value: 'robot', explanation: 'x' },
    // Passes the date check, but Postgres has no year 0: the store refuses it.
    { feature: 'address-book', item: 'birthday', value: '0000-01-01', explanation: 'x' },
    { feature: 'address-book', item: 'personal-signature', value: 'Curiouser and curiouser', explanation: 'x' },
  ];
  const created = await post('/v1/requests', { type: 'correction', subject: { accountId: 'bob' }, changes, verification: { method: 'sso', note: 'portal' } }, keys.acme);
  t.equal(created.statusCode, 202, created.body);
  const req = created.json();
  await post(`/v1/requests/${req.id}/approve`, undefined, keys.acme);
  const done = await waitForEnd(sys, req.id);
  t.equal(done.status, 'completed');
  t.match(done.changes, [
    { item: 'gender', outcome: 'refused', reason: 'Give one of: female, male, undisclosed' },
    { item: 'birthday', outcome: 'refused', reason: 'The store does not accept this value' },
    { item: 'personal-signature', outcome: 'corrected' },
  ]);
  const [row] = await sql`select personal_signature from address_book.contacts where tenant_id = 'acme' and account_id = 'bob'`;
  t.equal(row!.personal_signature, 'Curiouser and curiouser', 'the other changes of the feature are made');
  const trail = JSON.stringify((await get(`/v1/requests/${req.id}/events`)).json());
  t.notOk(trail.includes('0000-01-01') || trail.includes('robot') || trail.includes('Curiouser'), 'no value in the trail');
});

t.test('a change whose feature failed is reported as not made, with the reason', async (t) => {
  const { buildCorrectionReceipt } = await import('../src/results/receipt/correction-receipt.js');
  const { catalogue } = await import('../src/catalogue/catalogue.js');
  const at = new Date('2026-03-02T09:00:00Z');
  const request = { id: 'r1', tenantId: 'acme', subjectAccountId: 'dave', createdAt: at, status: 'partially_completed' } as never;
  const change = { id: 'c1', requestId: 'r1', position: 0, feature: 'address-book', item: 'name', newValue: 'Dave', explanation: 'x', outcome: 'pending', oldValue: null, reason: null, decidedAt: null, erasedAt: null } as const;
  const task = { feature: 'address-book', status: 'failed', error: "unreachable: the feature's data store could not be reached", adapter: 'built_in' } as never;
  const receipt = buildCorrectionReceipt({ request, catalogue, tasks: [task], changes: [change], notice: undefined });
  t.match(receipt.changes, [{ outcome: 'not_made', from: null, to: 'Dave', reason: /could not make the change \(unreachable/ }]);
  t.same(receipt.recipients, [], 'nothing changed: no recipient to tell');
});
