import t, { type Test } from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { catalogue } from '../src/catalogue/catalogue.js';
import { escapeHtml } from '../src/results/html.js';
import { readArchiveEntry } from '../src/results/zip/archive-reader.js';
import { NOTICE_PARTS } from '../src/notice/schemas.js';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';

/**
 * The Art. 15 notice in results, as a subject reads it: every feature's recipients as the privacy
 * statement names them, the subject's rights, and what the organization has not filled in, said
 * plainly; the tenant's notice (GET/PUT /v1/tenant/notice) as the request recorded it; and the
 * recipients a deletion must be told of (Art. 19), named from the subject's own data.
 */

const sys = await startSystem(t, { WEBHOOK_BACKOFF_MS: '40', WEBHOOK_POLL_MS: '50' });
const { app, keys, ctx } = sys;
const sql = ctx.database.sql;

const RIGHTS = ['Access', 'Rectification (correction)', 'Erasure (deletion)', 'Restriction of processing', 'Data portability', 'Objection', 'Withdrawing consent'];

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function entry(requestId: string, path: string): Promise<string> {
  const key = (await ctx.repo.findById(requestId))!.resultKey!;
  const found = await readArchiveEntry(ctx.results, key, path);
  if (!found) throw new Error(`${path} not in the result of ${requestId}`);
  return readAll(found.stream);
}

async function run(body: object, key = keys.acme) {
  const created = await createRequest(sys, body, key);
  const done = await waitForEnd(sys, created.id, key, 120_000);
  if (done.status !== 'completed') throw new Error(`${created.id} ended ${done.status}`);
  return done as { id: string };
}

/** A feature's part of index.html: from its section to the next. */
function featureHtml(index: string, feature: string): string {
  const start = index.indexOf(`<section class="feature" id="feature-${feature}">`);
  if (start < 0) throw new Error(`no section for ${feature}`);
  return index.slice(start, index.indexOf('</section>', start));
}

/** A feature's part of README.txt: from its line to the next feature's. */
function featureReadme(readme: string, feature: string): string {
  const lines = readme.split('\r\n');
  const start = lines.findIndex((l) => l.startsWith('- ') && l.includes(`(${feature}): `));
  const end = lines.findIndex((l, i) => i > start && l.startsWith('- '));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

function put(payload: unknown, key = keys.globex) {
  return app.inject({ method: 'PUT', url: '/v1/tenant/notice', headers: auth(key), payload: payload as object });
}

const FULL_NOTICE = {
  controller: { name: 'Acme Corporation', email: 'privacy@acme.example', address: '1 Acme Way, Dublin, Ireland' },
  dpo: { name: 'Data Protection Officer', email: 'dpo@acme.example' },
  supervisoryAuthority: { name: 'Data Protection Commission', url: 'https://www.dataprotection.ie/' },
  region: 'European Economic Area',
  recipients: [
    { id: 'payroll-bureau', name: 'Payroll Bureau Ltd', role: 'processor', receives: 'Clock-in records, to run the payroll.', features: ['clock-in'] },
  ],
  transfers: [{ recipient: 'welink', destination: 'Singapore', safeguard: 'standard_contractual_clauses', features: ['im'] }],
  retention: {
    default: 'As long as you work for Acme, then 30 days.',
    features: [{ feature: 'clock-in', criteria: 'Three years after the month recorded, as labour law requires.' }],
  },
  automatedDecisions: { made: false },
};

t.test('GET/PUT /v1/tenant/notice: versions, validation, and what is missing', async (t) => {
  const empty = await app.inject({ method: 'GET', url: '/v1/tenant/notice', headers: auth(keys.globex) });
  t.equal(empty.statusCode, 200);
  t.same(empty.json(), { version: null, updatedAt: null, notice: {}, missing: [...NOTICE_PARTS] }, 'nothing filled in: every required part missing');

  const invalid: [string, unknown, string][] = [
    ['an email that is none', { controller: { name: 'Globex', email: 'not an email' } }, '/controller/email'],
    ['a part the notice has not', { shareholders: [] }, ''],
    ['a safeguard the law does not know', { transfers: [{ recipient: 'welink', destination: 'US', safeguard: 'trust-us' }] }, '/transfers/0/safeguard'],
    ['a transfer to nobody', { transfers: [{ recipient: 'nobody', destination: 'US', safeguard: 'standard_contractual_clauses' }] }, '/transfers/0/recipient'],
    ["a recipient that takes the statement's id", { recipients: [{ id: 'alipay', name: 'Alipay', role: 'processor', receives: 'x' }] }, '/recipients/0/id'],
    ['a feature that does not exist', { retention: { features: [{ feature: 'fax', criteria: 'forever' }] } }, '/retention/features/0/feature'],
  ];
  for (const [what, payload, field] of invalid) {
    const res = await put(payload);
    t.equal(res.statusCode, 400, what);
    t.match(String(res.headers['content-type']), /^application\/problem\+json/, `${what}: a problem`);
    if (field) t.ok(res.json().errors.some((e: { field: string }) => e.field === field), `${what}: names ${field}`);
  }
  t.equal((await app.inject({ method: 'GET', url: '/v1/tenant/notice', headers: auth(keys.globex) })).json().version, null, 'nothing was stored');

  const partial = await put({ controller: { name: 'Globex' }, automatedDecisions: { made: false } });
  t.equal(partial.statusCode, 200);
  t.match(partial.json(), { version: 1, notice: { controller: { name: 'Globex' } }, missing: ['supervisoryAuthority', 'recipients', 'transfers', 'retention'] });
  const full = await put(FULL_NOTICE);
  t.match(full.json(), { version: 2, missing: [] }, 'a new version, complete');
  t.same((await ctx.notices.version('globex', 1))?.notice, { controller: { name: 'Globex' }, automatedDecisions: { made: false } }, 'the earlier version is kept as it was');
  const trail = await sql`select detail from audit_events where tenant_id = 'globex' and kind = 'notice_changed' order by id`;
  t.same(trail.map((r) => r.detail.version), [1, 2], 'each change is in the audit trail');
});

t.test("alice's access report and export say every feature's recipients and her rights; what acme has not filled in is said plainly", async (t) => {
  const access = await run({ type: 'access', subject: { accountId: 'alice' } });
  const exported = await run({ type: 'export', subject: { accountId: 'alice' } });
  const index = await entry(access.id, 'index.html');
  const data = JSON.parse(await entry(access.id, 'data.json'));
  const readme = await entry(exported.id, 'README.txt');

  for (const feature of catalogue.features) {
    const section = featureHtml(index, feature.id);
    const json = data.features.find((f: { id: string }) => f.id === feature.id);
    const text = featureReadme(readme, feature.id);
    t.same(
      json.notice.recipients.map((r: { id: string }) => r.id),
      feature.recipients.map((r) => r.id),
      `${feature.id}: data.json names the statement's recipients, no others`,
    );
    for (const recipient of feature.recipients) {
      t.ok(section.includes(escapeHtml(recipient.name)), `${feature.id}: the report names ${recipient.name}`);
      t.ok(text.includes(recipient.name), `${feature.id}: the README names ${recipient.name}`);
    }
    t.ok(section.includes('Who receives it, transfers, how long'), `${feature.id}: the block is there`);
    // Acme has filled in nothing: the statement is silent on transfers, and on retention but for search.
    t.match(json.notice.gaps, { recipients: String, transfers: String }, `${feature.id}: the gaps, in data.json`);
    t.equal(Boolean(json.notice.gaps.retention), feature.retention.kind === 'not_stated', `${feature.id}: retention is a gap where the statement is silent`);
    t.ok(section.includes('Not said:</strong> Neither the privacy statement nor your organization says whether your data is transferred'), `${feature.id}: said plainly`);
    t.ok(text.includes('Not said: Neither the privacy statement nor your organization says whether your data is transferred'), `${feature.id}: in the README too`);
  }
  t.ok(featureHtml(index, 'search').includes('Only the latest 20 search keywords are retained by default'), "the statement's retention, where it has one");

  const rights = index.slice(index.indexOf('<section id="your-rights">'), index.indexOf('</section>', index.indexOf('<section id="your-rights">')));
  t.ok(index.indexOf('id="your-rights"') < index.indexOf('class="feature"'), 'the rights come before the features');
  t.ok(index.includes('<a href="#your-rights">Your rights</a>'), 'the top of the report links them');
  for (const right of RIGHTS) {
    t.ok(rights.includes(escapeHtml(right)), `the report says the right: ${right}`);
    t.ok(readme.includes(`  - ${right} (`), `the README says the right: ${right}`);
  }
  t.same(data.notice.rights.map((r: { right: string }) => r.right), RIGHTS, 'data.json lists the rights');
  t.ok(rights.includes('request type &quot;correction&quot;'), 'how to ask for a correction here');
  t.ok(rights.includes('lodge a complaint with a supervisory authority'), 'the right to complain');
  t.ok(rights.includes('describes no automated decision-making'), 'automated decisions');
  t.ok(rights.includes('What your organization has not told us'), 'what acme left out, up front');
  t.same(data.notice.missing, [...NOTICE_PARTS], 'data.json: every required part missing');
  t.equal(data.notice.version, null, 'acme had no notice when alice asked');
  for (const gap of data.notice.gaps) t.ok(readme.includes(gap), `the README says it too: ${gap.slice(0, 40)}…`);
  t.ok(rights.includes('Controller</dt><dd>Not given by your organization'), 'no controller invented');
  t.ok(rights.includes('Supervisory authority</dt><dd>Not named by your organization'), 'no authority invented');
});

t.test("a filled notice is stated; a request keeps the version it was made with", async (t) => {
  const before = await run({ type: 'access', subject: { accountId: 'alice' }, features: ['clock-in'] });
  t.equal((await put(FULL_NOTICE, keys.acme)).statusCode, 200);
  const after = await run({ type: 'access', subject: { accountId: 'bob' }, features: ['im', 'clock-in', 'search'] });
  const [beforeRow, afterRow] = await Promise.all([ctx.repo.findById(before.id), ctx.repo.findById(after.id)]);
  t.equal(beforeRow!.noticeVersion, null, 'the earlier request recorded none');
  t.equal(afterRow!.noticeVersion, 1, 'the later one recorded version 1');

  const index = await entry(after.id, 'index.html');
  const data = JSON.parse(await entry(after.id, 'data.json'));
  t.notOk(index.includes('Not said'), 'nothing left unsaid');
  t.notOk(index.includes('What your organization has not told us'), 'no gaps up front');
  t.ok(index.includes('Acme Corporation, 1 Acme Way, Dublin, Ireland, privacy@acme.example'), 'the controller');
  t.ok(index.includes('The authority responsible for your organization is Data Protection Commission'), 'where to complain');
  t.ok(featureHtml(index, 'clock-in').includes('Payroll Bureau Ltd (named by your organization)'), "the organization's recipient, in its feature");
  t.notOk(featureHtml(index, 'im').includes('Payroll Bureau'), 'and only there');
  t.ok(featureHtml(index, 'im').includes('Singapore, relying on standard contractual clauses'), 'the transfer and its safeguard');
  t.ok(featureHtml(index, 'clock-in').includes('not transferred outside your region'), 'no transfer for clock-in, as the organization states');
  t.ok(featureHtml(index, 'clock-in').includes('Three years after the month recorded'), "the feature's own retention criteria");
  t.ok(featureHtml(index, 'im').includes('As long as you work for Acme'), 'the default criteria');
  t.ok(index.includes('states that it makes no automated decisions'), 'automated decisions');
  t.match(data.notice, { version: 1, missing: [], controller: { name: 'Acme Corporation' } });

  // The earlier result was built from what the request recorded; a later version changes neither it nor its record.
  t.notOk((await entry(before.id, 'index.html')).includes('Acme Corporation'), 'the earlier report states no notice');
});

t.test("alice's deletion receipt names Alipay and the applets she authorized; the webhook carries their ids", async (t) => {
  const applets = (await sql`select distinct applet from wecode.authorizations where tenant_id = 'acme' and account_id = 'alice' order by 1`).map((r) => String(r.applet));
  t.ok(applets.length > 0, 'alice authorized applets');
  const [bound] = await sql`select count(*)::int as n from red_envelope.alipay_accounts where tenant_id = 'acme' and account_id = 'alice'`;
  t.equal(bound?.n, 1, 'alice bound an Alipay account');

  const received = await receiver(t);
  const hook = await app.inject({ method: 'POST', url: '/v1/webhooks', headers: auth(keys.acme), payload: { url: received.url, events: ['request.status_changed'] } });
  t.equal(hook.statusCode, 201);

  const deletion = await run({ type: 'deletion', subject: { accountId: 'alice' }, features: ['im', 'wecode', 'red-envelope', 'clock-in'] });
  const receipt = (await app.inject({ method: 'GET', url: `/v1/requests/${deletion.id}/report`, headers: auth(keys.acme) })).json();
  const of = (feature: string) => receipt.recipients.find((r: { feature: string }) => r.feature === feature).recipients;
  t.match(of('red-envelope'), [{ id: 'welink' }, { id: 'alipay', name: 'Alipay', role: 'subject_account', tell: /GDPR Art\. 19/ }], 'Alipay, her own account');
  t.match(of('wecode'), [{ id: 'welink' }, { id: 'wecode-applets', role: 'independent_controller', named: applets }], 'the applets she authorized, by name');
  t.match(of('clock-in'), [{ id: 'welink' }, { id: 'payroll-bureau', source: 'organization' }], "acme's own recipient");
  t.same(of('im').map((r: { id: string }) => r.id), ['welink'], 'im: the suite only');
  const page = (await app.inject({ method: 'GET', url: `/v1/requests/${deletion.id}/receipt`, headers: auth(keys.acme) })).body;
  t.ok(page.includes('Recipients told of this erasure'), 'the certificate has the section');
  for (const name of ['Alipay', ...applets]) t.ok(page.includes(escapeHtml(name)), `the certificate names ${name}`);
  t.notOk(JSON.stringify(receipt.recipients).includes('@mail.example'), 'not her Alipay account itself');

  const completed = await until(() => received.bodies.find((b) => b.requestId === deletion.id && b.status === 'completed'));
  const ids = ['welink', 'alipay', 'wecode-applets', ...applets.map((a) => `wecode-applets:${a}`), 'payroll-bureau'];
  t.same([...(completed.recipients as string[])].sort(), ids.sort(), 'the webhook lists every recipient id, nothing personal');
});

interface Receiver {
  url: string;
  bodies: Record<string, unknown>[];
}

async function receiver(t: Test): Promise<Receiver> {
  const r: Receiver = { url: '', bodies: [] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return r;
}

async function until<T>(find: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error('never arrived');
    await new Promise((r) => setTimeout(r, 100));
  }
}
