import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { LocalBlobStore } from '../src/blobs/blob-store.js';
import { httpConnectorAdapter, type ConnectorContext, type HttpConnectorOptions } from '../src/connectors/http-connector.js';
import { sign, verify, type SignedMessage } from '../src/connectors/signing.js';
import type { Sql } from '../src/db/client.js';
import { rowValues, type FeatureAdapter, type Subject } from '../src/features/adapter.js';
import type { PartialRecord } from '../src/results/partials/partials.js';
import { OutboundGuard } from '../src/outbound/guard.js';
import { approvalRecords, startFeatureService, type FeatureService, type FeatureServiceOptions } from './fixtures/feature-service.js';

/**
 * The HTTP connector against a real fake feature service on a local port: the contract when the
 * service behaves, and a clear, personal-data-free error for each way it can misbehave.
 */

const alice: Subject = { tenantId: 'acme', accountId: 'alice' };
const blobDir = t.testdir();
const blobs = new LocalBlobStore(blobDir);
// The connector never queries a database; the context's connection stays unused.
const ctx = (requestId?: string): ConnectorContext => ({ sql: undefined as unknown as Sql, blobs, log: pino({ level: 'silent' }), requestId });

async function service(t: Test, options: FeatureServiceOptions = {}): Promise<FeatureService> {
  const started = await startFeatureService(options);
  t.teardown(started.close);
  return started;
}

// The fake feature services listen on this machine, which only a listed host may be.
const outbound = new OutboundGuard({ allowHosts: ['127.0.0.1'], allowHttp: false });
t.teardown(() => outbound.dispatcher.close());

function connector(s: FeatureService, options: Partial<HttpConnectorOptions> = {}): FeatureAdapter {
  return httpConnectorAdapter('approval', { baseUrl: s.url, secret: s.secret, outbound, ...options });
}

async function collectAll(adapter: FeatureAdapter, requestId?: string): Promise<PartialRecord[]> {
  const records: PartialRecord[] = [];
  for await (const record of adapter.collect(alice, ctx(requestId))) records.push({ ...record, row: rowValues(record) });
  return records;
}

function callsTo(s: FeatureService, path: string): number {
  return s.calls.filter((c) => c.path.startsWith(path)).length;
}

/** Asserts a rejection whose message matches and never carries the subject's data. */
async function rejectsClearly(t: Test, promise: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  t.ok(err, 'fails');
  t.match(err?.message, message);
  t.notMatch(err?.message, /alice|Lyon|laptop|<html/i, 'no personal data or response body in the message');
}

t.test('signing: a signature verifies only for the same message, secret and time window', async (t) => {
  const message: SignedMessage = { method: 'POST', path: '/dsar/v1/access', body: '{"a":1}' };
  const now = Date.now();
  const headers = sign('s'.repeat(32), message, now);
  const check = (m = message, secret = 's'.repeat(32), at = now) =>
    verify(secret, m, { timestamp: headers['x-dsar-timestamp'], signature: headers['x-dsar-signature'] }, at);
  t.match(headers['x-dsar-signature'], /^v1=[0-9a-f]{64}$/);
  t.same(check(), { ok: true });
  t.same(check({ ...message, body: { sha256: createHash('sha256').update('{"a":1}').digest('hex') } }), { ok: true }, 'a streamed body by its hash');
  t.same(check({ ...message, path: '/dsar/v1/erasure' }), { ok: false, reason: 'mismatch' });
  t.same(check({ ...message, body: '{"a":2}' }), { ok: false, reason: 'mismatch' });
  t.same(check(message, 'x'.repeat(32)), { ok: false, reason: 'mismatch' });
  t.same(check(message, 's'.repeat(32), now + 301_000), { ok: false, reason: 'expired' });
  t.same(check(message, 's'.repeat(32), now - 301_000), { ok: false, reason: 'expired' }, 'from the future');
  t.same(verify('k', message, { timestamp: '1', signature: 'v1=zz' }), { ok: false, reason: 'malformed' });
  t.same(verify('k', message, {}), { ok: false, reason: 'missing' });
});

t.test('describe returns the datasets the service describes', async (t) => {
  const s = await service(t);
  const adapter = connector(s);
  t.same(adapter.datasets, [], 'unknown before describe');
  const datasets = await adapter.describe!(ctx());
  t.same(datasets.map((d) => d.name), ['requests', 'attachments']);
  t.equal(datasets[0]?.retention?.days, 3650);
  t.equal(adapter.datasets, datasets, 'kept for the task');
});

t.test('collect follows the pages and streams each file into the blob store', async (t) => {
  const s = await service(t, { basePath: '/approval' });
  const records = await collectAll(connector(s), 'req-1');
  t.equal(callsTo(s, '/dsar/v1/access'), 3, 'five records, two per page');
  t.same(records.map((r) => r.row.id), [1, 2, 10, 3, 11], 'all of alice at acme, in order, nobody else');
  const expected = approvalRecords().filter((r) => r.file);
  const files = records.filter((r) => r.file).map((r) => r.file!);
  t.same(files.map((f) => f.blobKey), ['connector/approval/req-1/1', 'connector/approval/req-1/2']);
  for (const [i, file] of files.entries()) {
    const original = Buffer.from(expected[i]!.file!.content);
    const stored = await readFile(path.join(blobDir, file.blobKey));
    t.ok(stored.equals(original), `${file.name}: the bytes`);
    t.equal(file.sha256, createHash('sha256').update(original).digest('hex'), `${file.name}: the hash`);
    t.match(file, { name: expected[i]!.file!.name, mediaType: expected[i]!.file!.mediaType, size: original.length });
  }
  t.equal(callsTo(s, '/dsar/v1/files/'), 2);
});

t.test('locate counts without reading the records', async (t) => {
  const s = await service(t);
  t.same(await connector(s).locate(alice, ctx()), { requests: 3, attachments: 2 });
  t.equal(callsTo(s, '/dsar/v1/access'), 0);
});

t.test('erase returns the receipt, the same one when repeated', async (t) => {
  const s = await service(t);
  const adapter = connector(s);
  const receipt = await adapter.erase(alice, ctx('req-2'));
  t.match(receipt, [
    { dataset: 'requests', deleted: 0, retained: 3, retainedUntil: /^\d{4}-\d{2}-\d{2}$/, retentionReason: /accounting law/ },
    { dataset: 'attachments', deleted: 2, kept: 0, items: ['submitted-content'] },
  ]);
  t.same(await adapter.erase(alice, ctx('req-2')), receipt, 'a retried job gets the first receipt');
  t.same(await adapter.locate(alice, ctx()), { requests: 3, attachments: 0 }, 'retained rows stay');
  t.equal(s.records.filter((r) => r.accountId === 'bob').length, 1, 'bob keeps his');
});

t.test('a wrong secret is refused by the service, without retries', async (t) => {
  const s = await service(t);
  const adapter = connector(s, { secret: 'not-the-shared-secret' });
  await rejectsClearly(t, adapter.describe!(ctx()), /^feature service approval: GET \/dsar\/v1\/datasets failed: HTTP 401 \(request signature refused/);
  t.same(s.calls.map((c) => c.status), [401]);
});

t.test('a response signed with another secret is refused', async (t) => {
  const s = await service(t, { signResponses: { secret: 'y'.repeat(32) } });
  await rejectsClearly(t, connector(s).describe!(ctx()), /response signature refused \(mismatch\)/);
});

t.test('unsigned responses are accepted: signing them is optional', async (t) => {
  const s = await service(t, { signResponses: false });
  t.equal((await collectAll(connector(s))).length, 5);
});

t.test('a service that does not answer times out quickly, with retries', async (t) => {
  const s = await service(t, { mode: 'slow' });
  const started = Date.now();
  await rejectsClearly(t, connector(s, { timeoutMs: 150, retries: 1 }).describe!(ctx()), /failed after 2 attempts: timed out after 150 ms/);
  t.ok(Date.now() - started < 2000, 'within two timeouts and a backoff');
  t.equal(s.calls.length, 2);
});

t.test('garbage is refused with a validation error, never passed on', async (t) => {
  const collectWith = async (garbage: 'html' | 'shape' | 'unknown-dataset') =>
    collectAll(connector(await service(t, { mode: 'garbage', garbage })));
  await rejectsClearly(t, collectWith('shape'), /^feature service approval returned an invalid access page: \/records\/0\/row must be object$/);
  await rejectsClearly(t, collectWith('unknown-dataset'), /invalid access page: \/records\/0\/dataset is not a described dataset/);
  await rejectsClearly(t, collectWith('html'), /^feature service approval returned an invalid dataset list: not JSON$/);
  const shape = connector(await service(t, { mode: 'garbage', garbage: 'shape' }));
  await rejectsClearly(t, shape.erase(alice, ctx()), /invalid erasure receipt: .*\/datasets\/0\/deleted must be >= 0$/);
  await rejectsClearly(t, shape.locate(alice, ctx()), /invalid count: \/counts\/requests must be integer/);
});

t.test('descriptions naming items the catalogue does not have are refused', async (t) => {
  const datasets = [{ name: 'requests', title: 'Requests', columns: ['id', 'salary'], items: { salary: 'salary' } }];
  const s = await service(t, { datasets });
  await rejectsClearly(t, connector(s).describe!(ctx()), /invalid dataset list: \/datasets\/0\/items names an item not in the approval catalogue/);
});

t.test('a flaky service is recovered from by retrying, and reported when it stays down', async (t) => {
  const s = await service(t, { mode: 'flaky', failFirst: 2 });
  t.equal((await collectAll(connector(s))).length, 5);
  t.same(s.calls.slice(0, 3).map((c) => c.status), [503, 503, 200]);
  const down = await service(t, { mode: 'flaky', failFirst: 100 });
  await rejectsClearly(t, connector(down, { retries: 1 }).describe!(ctx()), /GET \/dsar\/v1\/datasets failed after 2 attempts: HTTP 503$/);
});

t.test('files are only fetched from the service origin, and must match their hash', async (t) => {
  const elsewhere = await service(t);
  const records = approvalRecords();
  records[2]!.file!.url = `${elsewhere.url}dsar/v1/files/0`;
  const s = await service(t, { records });
  await rejectsClearly(t, collectAll(connector(s), 'req-3'), /gave a file URL outside its own origin; refused/);
  t.equal(elsewhere.calls.length, 0, 'nothing sent to the other origin');

  const tampered = approvalRecords();
  tampered[4]!.file!.sha256 = '0'.repeat(64);
  const bad = await service(t, { records: tampered });
  await rejectsClearly(t, collectAll(connector(bad), 'req-4'), /GET file 2 failed: file SHA-256 differs from the declared one/);
  t.equal(await blobs.size('connector/approval/req-4/1'), undefined, 'the first file, fetched, is dropped with the failed collect');
  t.equal(await blobs.size('connector/approval/req-4/2'), undefined, 'the bad one never appears');

  const small = connector(await service(t), { maxFileBytes: 1000 });
  await rejectsClearly(t, collectAll(small), /a file is larger than 1000 bytes/);
});

t.test('the factory refuses a bad configuration', async (t) => {
  t.throws(() => httpConnectorAdapter('approval', { baseUrl: 'ftp://x/', secret: 's'.repeat(16), outbound }), /baseUrl must be http or https/);
  t.throws(() => httpConnectorAdapter('approval', { baseUrl: 'http://x/', secret: 'short', outbound }), /secret must be at least 16 characters/);
});
