import t from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import { auth, createRequest, startSystem, subjectToken, waitForEnd } from './helper.js';
import { DEMO_TENANTS } from '../src/demo/people.js';

// Logs carry ids and routes, never personal data: run requests that name people every way we can.
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(chunk.toString());
    done();
  },
});
// A feature service that is not there fails at once (see the scenario's failing feature).
const sys = await startSystem(t, { CONNECTOR_RETRIES: '0', CONNECTOR_TIMEOUT_MS: '500' }, { log: pino({ level: 'trace' }, sink) });

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

const put = (feature: string, body: object) =>
  sys.app.inject({ method: 'PUT', url: `/v1/tenant/features/${feature}`, headers: auth(sys.keys.acme), payload: body });

async function waitForStatus(id: string, status: string) {
  for (let i = 0; i < 300; i++) {
    const body = (await sys.app.inject({ method: 'GET', url: `/v1/requests/${id}`, headers: auth(sys.keys.acme) })).json();
    if (body.status === status) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`request ${id} never reached ${status}`);
}

/** What the demo holds of the scenario's subjects: messages and file names from the feature stores, and an upload's. */
async function personalData(accounts: string[], extra: { note: string; fileName: string; fileText: string }) {
  const sql = sys.ctx.database.sql;
  const people = DEMO_TENANTS.flatMap((tenant) => tenant.people);
  const messages = await sql<{ body: string }[]>`
    select distinct body from im.messages where tenant_id = 'acme' and sender_account_id = any(${accounts}) and body is not null`;
  const imFiles = await sql<{ name: string }[]>`select distinct file_name as name from im.attachments where tenant_id = 'acme'`;
  const driveFiles = await sql<{ name: string }[]>`
    select distinct name from clouddrive.files where tenant_id = 'acme' and owner_account_id = any(${accounts})`;
  return {
    emails: people.map((p) => p.email),
    phones: people.flatMap((p) => [p.mobile, p.mobile.replaceAll(' ', ''), p.mobile.replaceAll(' ', '').slice(3)]),
    names: people.flatMap((p) => [p.name, p.employeeId]),
    accounts,
    messages: [...messages.map((m) => m.body), extra.note, extra.fileText],
    fileNames: [...imFiles.map((f) => f.name), ...driveFiles.map((f) => f.name), extra.fileName],
  };
}

t.test('a full scenario, failures included, logs none of the subjects\' personal data', async (t) => {
  const upload = { note: 'Exported for Dave Okafor from the gate terminal', fileName: 'Dave Okafor timesheet.csv', fileText: 'Dave Okafor badge 4711 north gate' };

  const exported = await createRequest(sys, { type: 'export', subject: { email: 'carol@acme.example' } });
  t.equal((await waitForEnd(sys, exported.id)).status, 'completed', 'an export');
  await sys.app.inject({ method: 'GET', url: `/v1/requests/${exported.id}/report`, headers: auth(sys.keys.acme) });

  t.equal((await put('clock-in', { enabled: true, adapter: 'manual' })).statusCode, 200);
  const manual = await createRequest(sys, { type: 'access', subject: { mobile: '+49 151 2345 1004' }, features: ['clock-in', 'im'] });
  await waitForStatus(manual.id, 'action_required');
  const uploaded = await sys.app.inject({
    method: 'POST',
    url: `/v1/requests/${manual.id}/tasks/clock-in/files?name=${encodeURIComponent(upload.fileName)}`,
    headers: { ...auth(sys.keys.acme), 'content-type': 'text/csv' },
    payload: upload.fileText,
  });
  t.equal(uploaded.statusCode, 201, 'a manual upload');
  const completed = await sys.app.inject({
    method: 'POST',
    url: `/v1/requests/${manual.id}/tasks/clock-in/complete`,
    headers: auth(sys.keys.acme),
    payload: { note: upload.note },
  });
  t.equal(completed.statusCode, 200);
  t.equal((await waitForEnd(sys, manual.id)).status, 'completed');
  t.equal((await put('clock-in', { enabled: true, adapter: 'built_in' })).statusCode, 200);

  const badCursor = Buffer.from(JSON.stringify(['2026-01-01T00:00:00Z', 'f'.repeat(36)])).toString('base64url');
  const listed = await sys.app.inject({ method: 'GET', url: `/v1/requests?accountId=alice&cursor=${badCursor}`, headers: auth(sys.keys.acme) });
  t.equal(listed.statusCode, 400, 'a crafted cursor');
  const asSubject = { authorization: `Bearer ${await subjectToken(sys, 'acme', 'alice')}` };
  t.equal((await sys.app.inject({ method: 'GET', url: `/v1/requests?cursor=${badCursor}`, headers: asSubject })).statusCode, 400);
  const invalid = await sys.app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: auth(sys.keys.acme),
    payload: { type: 'access', subject: { email: 'alice@acme.example', name: 'Alice Martin' } },
  });
  t.equal(invalid.statusCode, 400, 'an invalid body naming the subject');

  const connector = { baseUrl: 'http://127.0.0.1:9/approval', secret: 'a-secret-nobody-answers-to' };
  t.equal((await put('approval', { enabled: true, adapter: 'http', connector })).statusCode, 200);
  const failing = await createRequest(sys, { type: 'access', subject: { email: 'erin@acme.example' }, features: ['approval', 'im'] });
  t.equal((await waitForEnd(sys, failing.id)).status, 'partially_completed', 'a failing feature');
  t.equal((await put('approval', { enabled: true, adapter: 'built_in' })).statusCode, 200);

  const deletion = await createRequest(sys, { type: 'deletion', subject: { email: 'alice@acme.example' } });
  t.equal((await waitForEnd(sys, deletion.id)).status, 'completed', 'a deletion');
  await sys.app.inject({ method: 'GET', url: `/v1/requests/${deletion.id}/receipt`, headers: auth(sys.keys.acme) });

  const log = lines.join('');
  t.match(log, /feature task failed/, 'the failure is logged');
  const data = await personalData(['alice', 'carol', 'dave', 'erin'], upload);
  t.ok(data.messages.length > 10 && data.fileNames.length > 5, `${data.messages.length} messages and ${data.fileNames.length} file names to look for`);
  for (const [kind, values] of Object.entries(data)) {
    t.same(
      values.filter((v) => log.includes(v)),
      [],
      `no ${kind} in ${lines.length} log lines`,
    );
  }
});
