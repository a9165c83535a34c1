import t from 'tap';
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import createClient from 'openapi-fetch';
import type { paths } from '../openapi/client.js';
import { CLIENT_TYPES, generateClientTypes } from './contract/client-types.js';
import { startSystem, VERIFIED } from './helper.js';
import { ZipFile } from './zip.js';

/**
 * The contract as a consumer meets it: a client generated from the committed document (the types of
 * openapi-typescript, the client of openapi-fetch) drives a real server over HTTP, with a real worker.
 * The calls below are type-checked against the document (`npm run typecheck`), so a change of the
 * contract that breaks clients fails the build, and the answers are checked against what it says.
 */

t.test('the committed client types are those the committed document generates', async (t) => {
  const committed = await readFile(CLIENT_TYPES, 'utf8');
  t.ok(committed.includes('export interface paths'), 'openapi/client.d.ts holds the paths');
  t.equal(committed, await generateClientTypes(), 'openapi/client.d.ts is current (regenerate with npm run openapi)');
});

const sys = await startSystem(t);
await sys.app.listen({ port: 0, host: '127.0.0.1' });
const baseUrl = `http://127.0.0.1:${(sys.app.server.address() as AddressInfo).port}`;
// An agent's key: what a console uses for the day-to-day work on requests.
const agentKey = await sys.ctx.apiKeys.create('acme', 'console', 'agent');
const api = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${agentKey}` } });

type RequestType = 'access' | 'export' | 'deletion';
const ENDED = ['completed', 'partially_completed', 'failed', 'cancelled', 'rejected'];

async function create(type: RequestType, accountId: string) {
  const { data, error, response } = await api.POST('/v1/requests', {
    body: { type, subject: { accountId }, features: ['im'], verification: VERIFIED },
  });
  if (!data) throw new Error(`create: ${response.status} ${JSON.stringify(error)}`);
  return { request: data, status: response.status };
}

/** Polls until the request has ended, as a console would. */
async function poll(id: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { data, error, response } = await api.GET('/v1/requests/{id}', { params: { path: { id } } });
    if (!data) throw new Error(`poll: ${response.status} ${JSON.stringify(error)}`);
    if (ENDED.includes(data.status)) return data;
    if (Date.now() > deadline) throw new Error(`request ${id} still ${data.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const aliceAccess = await create('access', 'alice');
const aliceExport = await create('export', 'alice');
const bobAccess = await create('access', 'bob');

t.test('create a request and poll it until it has completed', async (t) => {
  t.equal(aliceAccess.status, 202, 'taken');
  t.match(aliceAccess.request, { type: 'access', subject: { accountId: 'alice' }, features: ['im'] });
  t.ok(['received', 'queued', 'processing'].includes(aliceAccess.request.status), `created as ${aliceAccess.request.status}`);
  const done = await poll(aliceAccess.request.id);
  t.equal(done.id, aliceAccess.request.id);
  t.equal(done.status, 'completed');
  t.match(done.result, { fileName: String, mediaType: 'application/zip', sha256: /^[0-9a-f]{64}$/ }, 'the result is described');
  t.ok((done.result?.size ?? 0) > 0, 'and not empty');
});

t.test('list requests with filters and follow the cursor', async (t) => {
  await Promise.all([aliceAccess, aliceExport, bobAccess].map(({ request }) => poll(request.id)));
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const { data, response } = await api.GET('/v1/requests', { params: { query: { type: 'access', status: 'completed', limit: 1, cursor } } });
    t.equal(response.status, 200);
    if (!data) throw new Error('no page');
    pages += 1;
    t.ok(data.items.length <= 1, `page ${pages} holds at most the limit`);
    for (const item of data.items) {
      t.match(item, { type: 'access', status: 'completed' }, 'only what the filters ask for');
      seen.push(item.id);
    }
    if (data.nextCursor) t.match(response.headers.get('link'), `cursor=${encodeURIComponent(data.nextCursor)}`, 'Link names the next page too');
    cursor = data.nextCursor ?? undefined;
  } while (cursor && pages < 10);
  t.equal(cursor, undefined, 'the last page has no next cursor');
  t.equal(pages, 2, 'a page per request at a limit of 1');
  t.same(seen.sort(), [aliceAccess.request.id, bobAccess.request.id].sort(), 'the access requests, each once, over the pages');

  const { data: alice } = await api.GET('/v1/requests', { params: { query: { accountId: 'alice', type: 'export', limit: 20 } } });
  t.same(alice?.items.map((r) => r.id), [aliceExport.request.id], "alice's export only");
  t.equal(alice?.nextCursor, null);
});

t.test('download the export as bytes: a zip with its manifest', async (t) => {
  const done = await poll(aliceExport.request.id);
  t.equal(done.status, 'completed');
  const { data, response } = await api.GET('/v1/requests/{id}/report', { params: { path: { id: done.id } }, parseAs: 'arrayBuffer' });
  t.equal(response.status, 200);
  t.equal(response.headers.get('content-type'), 'application/zip');
  if (!data) throw new Error('no bytes');
  const bytes = Buffer.from(data);
  t.equal(createHash('sha256').update(bytes).digest('hex'), done.result?.sha256, 'the bytes the request describes');
  t.equal(bytes.subarray(0, 4).toString('latin1'), 'PK\x03\x04', 'a zip');
  const zip = new ZipFile(bytes);
  const names = zip.names();
  t.ok(names.includes('manifest.json'), 'with a manifest');
  t.ok(names.some((name) => name.startsWith('im/')), 'and the IM data asked for');
  const manifest = zip.json<{ files: Array<{ path: string }> }>('manifest.json');
  t.same(manifest.files.map((f) => f.path).sort(), names.filter((n) => n !== 'manifest.json' && !n.endsWith('/')).sort(), 'the manifest lists every other entry');

  const { data: access } = await api.GET('/v1/requests/{id}/report', { params: { path: { id: aliceAccess.request.id } }, parseAs: 'arrayBuffer' });
  if (!access) throw new Error('no bytes');
  const report = new ZipFile(Buffer.from(access)).names();
  t.ok(report.includes('index.html') && report.includes('data.json'), 'an access report: its page and its data');
});

t.test('problems are read as problems', async (t) => {
  const missing = randomUUID();
  const notFound = await api.GET('/v1/requests/{id}', { params: { path: { id: missing } } });
  t.equal(notFound.response.status, 404);
  t.equal(notFound.data, undefined, 'no data');
  t.match(notFound.response.headers.get('content-type'), /^application\/problem\+json/);
  t.match(notFound.error, { type: 'urn:dsar:problem:not-found', title: 'Not found', status: 404 }, 'a typed problem');
  t.equal(notFound.error?.status, notFound.response.status, 'whose status is the response status');

  const unverified = await api.POST('/v1/requests', { body: { type: 'access', subject: { accountId: 'alice' } } });
  t.equal(unverified.response.status, 422);
  t.match(unverified.error, { type: 'urn:dsar:problem:verification-required', status: 422 });
  t.same(unverified.error?.errors?.map((e) => e.field), ['/verification'], 'naming the field');

  // The types know the filter's values; the server refuses one they do not know with a problem too.
  // @ts-expect-error: not a status of the document
  const invalid = await api.GET('/v1/requests', { params: { query: { status: 'done', limit: 20 } } });
  t.equal(invalid.response.status, 400);
  t.match(invalid.error, { status: 400, title: String });
});
