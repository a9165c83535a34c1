import t from 'tap';
import { createHash } from 'node:crypto';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';
import { ZipFile } from './zip.js';
import { startFeatureService, approvalRecords } from './fixtures/feature-service.js';

// A feature answered by its own service through the HTTP connector, configured per tenant over the API.
const sys = await startSystem(t, { CONNECTOR_TIMEOUT_MS: '500', CONNECTOR_RETRIES: '1' });
const { app, keys } = sys;

async function useConnector(url: string, secret: string) {
  const res = await app.inject({
    method: 'PUT',
    url: '/v1/tenant/features/approval',
    headers: auth(keys.acme),
    payload: { enabled: true, adapter: 'http', connector: { baseUrl: url, secret } },
  });
  if (res.statusCode !== 200) throw new Error(res.body);
}

async function report(id: string) {
  return (await app.inject({ method: 'GET', url: `/v1/requests/${id}/report`, headers: auth(keys.acme) })).rawPayload;
}

t.test('access through the connector: records and files from the feature service', async (t) => {
  const service = await startFeatureService();
  t.teardown(service.close);
  await useConnector(service.url, service.secret);
  const req = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: ['approval'] });
  const done = await waitForEnd(sys, req.id);
  t.equal(done.status, 'completed');
  t.same(done.tasks[0].counts, { requests: 3, attachments: 2 });
  const zip = new ZipFile(await report(req.id));
  const approval = zip.json('data.json').features.find((f: { id: string }) => f.id === 'approval');
  t.same(
    approval.datasets.requests.map((r: { content: string }) => r.content),
    ['Travel to Lyon, 412.50 EUR', 'New laptop', 'Conference fee'],
  );
  const badge = approvalRecords().find((r) => r.file?.name === 'badge.png')!.file!;
  const row = approval.datasets.attachments.find((r: { file_name: string }) => r.file_name === 'badge.png');
  t.equal(
    createHash('sha256').update(zip.read(row.file)).digest('hex'),
    createHash('sha256').update(badge.content).digest('hex'),
    'the file the service sent is in the archive',
  );
  t.ok(service.calls.length > 0 && service.calls.every((c) => c.status !== 401), 'every call was signed correctly');
});

t.test('a feature service that times out or returns garbage fails its task with a clear reason', async (t) => {
  for (const mode of ['slow', 'garbage'] as const) {
    const service = await startFeatureService({ mode });
    await useConnector(service.url, service.secret);
    const req = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: ['approval', 'im'] });
    const done = await waitForEnd(sys, req.id);
    await service.close();
    t.equal(done.status, 'partially_completed', mode);
    const task = done.tasks.find((x: { feature: string }) => x.feature === 'approval');
    t.equal(task.status, 'failed', mode);
    t.match(task.error, mode === 'slow' ? /timed out|timeout/i : /invalid/i, `${mode}: ${task.error}`);
    t.notMatch(task.error, /Lyon|alice/, 'the reason quotes no personal data');
  }
});

t.test('deletion through the connector: the service receipt is on ours', async (t) => {
  const service = await startFeatureService();
  t.teardown(service.close);
  await useConnector(service.url, service.secret);
  const req = await createRequest(sys, { type: 'deletion', subject: { accountId: 'alice' }, features: ['approval'] });
  const done = await waitForEnd(sys, req.id);
  t.equal(done.status, 'completed');
  const receipt = JSON.parse((await report(req.id)).toString('utf8'));
  const approval = receipt.features.find((f: { id: string }) => f.id === 'approval');
  t.ok(approval.datasets.length > 0, 'datasets from the service receipt');
  t.ok(service.calls.some((c) => c.path.endsWith('/dsar/v1/erasure')));
});
