import t from 'tap';
import { auth, createRequest, startSystem, VERIFIED, waitForEnd } from './helper.js';
import { verifyReceipt } from '../src/results/receipt/receipt-signing.js';

// Request records (CCPA § 7101) and the yearly figures (§ 7102): a record and its signed receipt outlive
// the result, the request keeps no free text once its result is gone, and both go after the retention.
const sys = await startSystem(t, { CONNECTOR_RETRIES: '0', CONNECTOR_TIMEOUT_MS: '500' });
const { app, keys, ctx } = sys;
const DAY_MS = 24 * 60 * 60 * 1000;

const get = (url: string, key = keys.acme) => app.inject({ method: 'GET', url, headers: auth(key) });

t.test('the record and receipt of a deletion outlive its result, then go after the retention', async (t) => {
  const req = await createRequest(sys, { type: 'deletion', subject: { accountId: 'frank' }, features: ['im', 'calendar'] });
  const done = await waitForEnd(sys, req.id);
  t.equal(done.status, 'completed');
  const receipt = (await get(`/v1/requests/${req.id}/report`)).json();

  const kept = await get(`/v1/requests/${req.id}/record`);
  t.equal(kept.statusCode, 200);
  const record = kept.json();
  t.match(record, { requestId: req.id, accountId: 'frank', type: 'deletion', regime: 'gdpr', outcome: 'complied', rejectionReason: null });
  t.same(record.receipt, receipt, 'the record holds the receipt as issued');
  t.equal(record.endedAt, done.completedAt);
  const endedAt = new Date(record.endedAt);
  const keptUntil = new Date(endedAt);
  keptUntil.setUTCMonth(keptUntil.getUTCMonth() + 24);
  t.equal(record.keptUntil, keptUntil.toISOString(), 'kept 24 months after the request ended');
  t.equal((await get(`/v1/requests/${req.id}/record`, keys.globex)).statusCode, 404, "another tenant's key finds nothing");

  // The result's retention ends: downloads answer 410, the record and its receipt stay.
  const afterTtl = new Date(Date.now() + (ctx.config.resultTtlDays + 1) * DAY_MS);
  t.ok((await ctx.delivery.expireResults(afterTtl)) >= 1);
  const gone = await get(`/v1/requests/${req.id}/report`);
  t.equal(gone.statusCode, 410, 'the download answers 410');
  t.equal(gone.json().type.endsWith('result-expired'), true);
  const still = (await get(`/v1/requests/${req.id}/record`)).json();
  t.same(still.receipt, receipt, 'the receipt is still on record');
  t.ok(verifyReceipt(still.receipt, ctx.receiptSigningKey), 'and its signature still verifies');

  // Once the result is gone, the request keeps no free text (the agent's verification note).
  const before = await ctx.repo.findById(req.id);
  t.equal(before?.verificationNote, VERIFIED.note);
  await ctx.records.housekeep(afterTtl);
  const cleared = await ctx.repo.findById(req.id);
  t.equal(cleared?.verificationNote, null, 'the verification note is cleared');
  t.match(cleared, { subjectAccountId: 'frank', type: 'deletion', status: 'expired', verificationMethod: 'sso' }, 'the rest stays');

  // A day short of the retention nothing goes; past it the record and the request go.
  const almost = new Date(keptUntil.getTime() - DAY_MS);
  await ctx.records.housekeep(almost);
  t.equal((await get(`/v1/requests/${req.id}/record`)).statusCode, 200, 'kept until its time');
  t.ok((await ctx.records.housekeep(new Date(keptUntil.getTime() + DAY_MS))) >= 1);
  t.equal((await get(`/v1/requests/${req.id}/record`)).statusCode, 404, 'the record is purged');
  t.equal((await get(`/v1/requests/${req.id}`)).statusCode, 404, 'and the request with it');
  const trail = await ctx.audit.ofRequest(req.id);
  t.ok(trail.length > 0, 'its audit trail keeps its own retention');
});

t.test('the notes of a rejected request are cleared once a result would have expired', async (t) => {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: auth(keys.acme),
    payload: { type: 'deletion', subject: { accountId: 'grace' }, verification: VERIFIED },
  });
  const id = res.json().id;
  await app.inject({ method: 'POST', url: `/v1/requests/${id}/reject`, headers: auth(keys.acme), payload: { reason: 'excessive', note: 'third in a week' } });
  const record = (await get(`/v1/requests/${id}/record`)).json();
  t.match(record, { outcome: 'denied', rejectionReason: 'excessive', receipt: null });
  await ctx.records.housekeep(new Date());
  t.equal((await ctx.repo.findById(id))?.rejectionNote, 'third in a week', 'shown to the subject while a result would be');
  await ctx.records.housekeep(new Date(Date.now() + (ctx.config.resultTtlDays + 1) * DAY_MS));
  const cleared = await ctx.repo.findById(id);
  t.equal(cleared?.rejectionNote, null);
  t.equal(cleared?.verificationNote, null);
  t.equal(cleared?.rejectionReason, 'excessive', 'the reason code stays');
});

t.test('the CCPA § 7102 figures of a year, per request type', async (t) => {
  // The tenant reviews every type, so each request waits for the agent's decision.
  await app.inject({
    method: 'PUT',
    url: '/v1/tenant/approval',
    headers: auth(keys.globex),
    payload: { access: 'review', export: 'review', deletion: 'review', release: 'auto' },
  });
  // A feature answered by a service that is not there: its task fails, the export is complied with in part.
  const connector = await app.inject({
    method: 'PUT',
    url: '/v1/tenant/features/approval',
    headers: auth(keys.globex),
    payload: { enabled: true, adapter: 'http', connector: { baseUrl: 'http://127.0.0.1:9', secret: 'a-secret-of-sixteen-chars' } },
  });
  t.equal(connector.statusCode, 200);
  const globex = (await get('/v1/catalogue', keys.globex)).statusCode === 200 ? await people() : [];
  t.ok(globex.length >= 7, 'enough people in globex');
  const [p1, p2, p3, p4, p5, p6, p7] = globex as [string, string, string, string, string, string, string];

  const ask = async (type: string, accountId: string, features = ['im']) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/requests',
      headers: auth(keys.globex),
      payload: { type, subject: { accountId }, features, verification: VERIFIED },
    });
    t.equal(res.statusCode, 202);
    return res.json().id as string;
  };
  const decide = (id: string, action: string, payload?: object) =>
    app.inject({ method: 'POST', url: `/v1/requests/${id}/${action}`, headers: auth(keys.globex), ...(payload ? { payload } : {}) });
  const run = async (id: string) => {
    await decide(id, 'approve');
    return (await waitForEnd(sys, id, keys.globex)).status;
  };

  const access1 = await ask('access', p1);
  const access2 = await ask('access', p2);
  const access3 = await ask('access', p3);
  const access4 = await ask('access', p4);
  const accessOther = await ask('access', p5);
  const export1 = await ask('export', p6, ['im', 'approval']);
  const deletion1 = await ask('deletion', p7);
  const deletionOpen = await ask('deletion', p1);
  t.equal(await run(access1), 'completed');
  t.equal(await run(access2), 'completed');
  t.equal(await run(accessOther), 'completed');
  t.equal((await decide(access3, 'reject', { reason: 'identity_not_verified' })).statusCode, 200);
  t.equal((await decide(access4, 'cancel')).statusCode, 200);
  t.equal(await run(export1), 'partially_completed');
  t.equal(await run(deletion1), 'completed');

  // The year the test seeds: when each was received and answered, in days.
  const seeded: [string, string, number | null][] = [
    [access1, '2025-03-01T00:00:00Z', 2],
    [access2, '2025-06-10T12:00:00Z', 3],
    [access3, '2025-12-31T23:00:00Z', 10],
    [access4, '2025-01-01T00:00:00Z', 1],
    [accessOther, '2024-12-31T23:59:59Z', 5],
    [export1, '2025-02-02T00:00:00Z', 4.5],
    [deletion1, '2025-08-08T00:00:00Z', 0.25],
    [deletionOpen, '2025-09-09T00:00:00Z', null],
  ];
  for (const [id, received, days] of seeded) {
    await ctx.database.sql`update requests set created_at = ${received} where id = ${id}`;
    if (days === null) continue;
    const ended = new Date(new Date(received).getTime() + days * DAY_MS).toISOString();
    await ctx.database.sql`update request_records set received_at = ${received}, ended_at = ${ended} where request_id = ${id}`;
  }

  const res = await get('/v1/reports/ccpa-metrics?year=2025', keys.globex);
  t.equal(res.statusCode, 200);
  // By hand: access received 4 (access1-4; accessOther was received in 2024), complied with 2, denied 1
  // (access3), withdrawn 1 (access4); days over the complied and denied: 2, 3, 10 -> median 3, mean 5.
  // Export: 1 complied with in part, 4.5 days. Deletion: 2 received, 1 complied with in 0.25 days, 1 open.
  t.same(res.json(), {
    year: 2025,
    types: [
      { type: 'access', received: 4, compliedInWhole: 2, compliedInPart: 0, denied: 1, failed: 0, withdrawn: 1, open: 0, medianDaysToRespond: 3, meanDaysToRespond: 5 },
      { type: 'export', received: 1, compliedInWhole: 0, compliedInPart: 1, denied: 0, failed: 0, withdrawn: 0, open: 0, medianDaysToRespond: 4.5, meanDaysToRespond: 4.5 },
      { type: 'deletion', received: 2, compliedInWhole: 1, compliedInPart: 0, denied: 0, failed: 0, withdrawn: 0, open: 1, medianDaysToRespond: 0.25, meanDaysToRespond: 0.25 },
      // Every type is listed, a type without requests with zeros.
      { type: 'correction', received: 0, compliedInWhole: 0, compliedInPart: 0, denied: 0, failed: 0, withdrawn: 0, open: 0, medianDaysToRespond: null, meanDaysToRespond: null },
    ],
  });
  const previous = (await get('/v1/reports/ccpa-metrics?year=2024', keys.globex)).json();
  t.match(previous.types[0], { type: 'access', received: 1, compliedInWhole: 1, medianDaysToRespond: 5, meanDaysToRespond: 5 });
  const acme = (await get('/v1/reports/ccpa-metrics?year=2025', keys.acme)).json();
  t.ok(
    acme.types.every((row: { received: number }) => row.received === 0),
    "another tenant's figures do not include these",
  );
  t.equal((await get('/v1/reports/ccpa-metrics?year=20')).statusCode, 400);
  // The schema's last year: its end is the year 10000 (a fuzz run's counterexample answered 500).
  const last = await get('/v1/reports/ccpa-metrics?year=9999', keys.globex);
  t.equal(last.statusCode, 200, 'the last year the schema takes is answered');
  t.equal(last.json().year, 9999);
  t.ok(
    last.json().types.every((row: { received: number }) => row.received === 0),
    'with nothing received in it',
  );
});

/** Account ids of globex's people. */
async function people(): Promise<string[]> {
  const rows = await ctx.database.sql<{ account_id: string }[]>`
    select account_id from account_login.accounts where tenant_id = 'globex' order by account_id`;
  return rows.map((r) => r.account_id);
}

t.test("a manual task's note and file names and a withheld item's note go once the result is gone", async (t) => {
  const put = (url: string, payload: object) => app.inject({ method: 'PUT', url, headers: auth(keys.acme), payload });
  t.equal((await put('/v1/tenant/features/clock-in', { enabled: true, adapter: 'manual' })).statusCode, 200);
  t.equal((await put('/v1/tenant/approval', { access: 'auto', export: 'auto', deletion: 'review', release: 'review' })).statusCode, 200);
  const req = await createRequest(sys, { type: 'access', subject: { accountId: 'heidi' }, features: ['im', 'clock-in'] });
  const until = async (status: string) => {
    for (let i = 0; i < 600 && (await ctx.repo.findById(req.id))?.status !== status; i++) await new Promise((r) => setTimeout(r, 100));
    t.equal((await ctx.repo.findById(req.id))?.status, status);
  };
  await until('action_required');
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, headers: auth(keys.acme), payload });
  const note = 'Exported from the attendance machine in room 4';
  t.equal((await post(`/v1/requests/${req.id}/tasks/clock-in/complete`, { note })).statusCode, 200);
  await until('awaiting_release');
  const withhold = [{ feature: 'im', reason: 'third_party_rights', note: 'names of colleagues' }];
  t.equal((await post(`/v1/requests/${req.id}/release`, { withhold })).statusCode, 200);
  await waitForEnd(sys, req.id);
  const task = async () => (await ctx.repo.tasksOf(req.id)).find((x) => x.feature === 'clock-in');
  t.match((await task())?.outcome, { manual: { note } });

  await ctx.delivery.expireResults(new Date(Date.now() + (ctx.config.resultTtlDays + 1) * DAY_MS));
  await ctx.records.housekeep(new Date());
  const row = await ctx.repo.findById(req.id);
  t.equal(row?.status, 'expired');
  t.ok(row?.withheld?.length, 'the withheld items stay');
  for (const item of row?.withheld ?? []) {
    t.same(Object.keys(item).sort(), ['dataset', 'feature', 'reason'], 'without their note');
    t.equal(item.reason, 'third_party_rights');
  }
  t.equal((await task())?.outcome, null, "the manual task's note and files are cleared");
  t.equal((await get(`/v1/requests/${req.id}/record`)).json().outcome, 'complied', 'the record stays');
});
