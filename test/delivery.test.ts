import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';
import { hashKey } from '../src/auth/api-keys.js';
import { LocalBlobStore } from '../src/blobs/blob-store.js';
import { EncryptedBlobStore } from '../src/blobs/encrypted-blob-store.js';
import { DeliveryService } from '../src/delivery/delivery-service.js';
import { DeliveryRepository } from '../src/delivery/repository.js';
import { LinkSigner } from '../src/delivery/signing.js';
import { SYSTEM_ACTOR } from '../src/auth/principal.js';

// Results handed out over HTTP: to the owner's key and through signed links, whole and by range,
// every download recorded; stored encrypted; deleted when their retention ends.
const encryptionKey = randomBytes(32);
const sys = await startSystem(t, { RESULTS_ENCRYPTION_KEY: encryptionKey.toString('base64') });
const { app, keys, ctx } = sys;
const sql = ctx.database.sql;
const ZIP_SIGNATURE = Buffer.from('PK\x03\x04', 'latin1');

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function get(url: string, headers: Record<string, string> = {}, key: string | undefined = keys.acme) {
  return app.inject({ method: 'GET', url, headers: { ...(key ? auth(key) : {}), ...headers } });
}

async function createLink(id: string, body: object = {}, key = keys.acme) {
  return app.inject({ method: 'POST', url: `/v1/requests/${id}/links`, headers: auth(key), payload: body });
}

async function linkPath(id: string, body: object = {}): Promise<string> {
  const res = await createLink(id, body);
  if (res.statusCode !== 201) throw new Error(`link: ${res.statusCode} ${res.body}`);
  return new URL(res.json().url).pathname;
}

async function run(body: object, key = keys.acme) {
  return waitForEnd(sys, (await createRequest(sys, body, key)).id, key);
}

/** Downloads are recorded when their body closes, just after the response: wait for the count. */
async function downloadsOf(id: string, count: number) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const res = await get(`/v1/requests/${id}/downloads`);
    const items = res.json().items as Array<Record<string, any>>;
    if (items.length >= count && items.every((d) => d.bytesSent === d.range.end - d.range.start + 1)) return items;
    if (Date.now() > deadline) throw new Error(`downloads of ${id}: ${res.body}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const access = await run({ type: 'access', subject: { accountId: 'alice' } });
const reportUrl = `/v1/requests/${access.id}/report`;
const whole = await get(reportUrl);

t.test('the owner downloads the whole result, then by range, and resumes', async (t) => {
  t.equal(whole.statusCode, 200);
  t.equal(sha256(whole.rawPayload), access.result.sha256, 'the digest on the request matches the bytes');
  t.equal(whole.headers['accept-ranges'], 'bytes');
  t.equal(whole.headers.etag, `"${access.result.sha256}"`);
  t.equal(Number(whole.headers['content-length']), access.result.size);
  t.match(whole.headers['cache-control'], /no-store/);
  t.ok(whole.rawPayload.subarray(0, 4).equals(ZIP_SIGNATURE), 'a zip');
  const size = whole.rawPayload.length;
  t.ok(size > 2 * 64 * 1024, 'big enough to span several encrypted segments');

  const cut = 100_000;
  const first = await get(reportUrl, { range: `bytes=0-${cut - 1}` });
  t.equal(first.statusCode, 206);
  t.equal(first.headers['content-range'], `bytes 0-${cut - 1}/${size}`);
  t.equal(Number(first.headers['content-length']), cut);
  const rest = await get(reportUrl, { range: `bytes=${cut}-`, 'if-range': whole.headers.etag as string });
  t.equal(rest.statusCode, 206);
  t.equal(rest.headers['content-range'], `bytes ${cut}-${size - 1}/${size}`);
  t.ok(Buffer.concat([first.rawPayload, rest.rawPayload]).equals(whole.rawPayload), 'resumed bytes equal the full download');

  const tail = await get(reportUrl, { range: 'bytes=-10' });
  t.ok(tail.rawPayload.equals(whole.rawPayload.subarray(size - 10)), 'suffix range');
  const changed = await get(reportUrl, { range: 'bytes=10-20', 'if-range': '"another-version"' });
  t.equal(changed.statusCode, 200, 'If-Range of another version gets the whole file');
  t.equal(changed.rawPayload.length, size);
  const several = await get(reportUrl, { range: 'bytes=0-1,5-6' });
  t.equal(several.statusCode, 200, 'several ranges are not supported: the whole file');

  const beyond = await get(reportUrl, { range: `bytes=${size}-` });
  t.equal(beyond.statusCode, 416);
  t.equal(beyond.headers['content-range'], `bytes */${size}`);
  t.match(beyond.json(), { status: 416, title: 'Range not satisfiable' });

  const head = await app.inject({ method: 'HEAD', url: reportUrl, headers: auth(keys.acme) });
  t.equal(head.statusCode, 200);
  t.equal(Number(head.headers['content-length']), size);
  t.equal(head.rawPayload.length, 0);
});

t.test('results are ciphertext at rest', async (t) => {
  const row = await ctx.repo.findById(access.id);
  const stored = readFileSync(path.join(ctx.config.resultsDir, row!.resultKey!));
  t.notOk(stored.subarray(0, 4).equals(ZIP_SIGNATURE), 'no zip signature at offset 0');
  t.equal(stored.indexOf(ZIP_SIGNATURE), -1, 'nor anywhere else');
  const decrypted = new EncryptedBlobStore(new LocalBlobStore(ctx.config.resultsDir), encryptionKey);
  const chunks: Buffer[] = [];
  for await (const chunk of decrypted.get(row!.resultKey!)) chunks.push(chunk as Buffer);
  t.ok(Buffer.concat(chunks).equals(whole.rawPayload), 'decrypting with the key gives the zip');
});

t.test('links download without a key; forged, expired and used-up links do not', async (t) => {
  const res = await createLink(access.id);
  t.equal(res.statusCode, 201);
  const link = res.json();
  t.equal(link.maxDownloads, null);
  const days = (new Date(link.expiresAt).getTime() - Date.now()) / 86_400_000;
  t.ok(days > 6.99 && days <= 7, 'valid for 7 days by default');
  const url = new URL(link.url);
  t.match(url.pathname, /^\/downloads\/[A-Za-z0-9_-]{64}$/);

  const opened = await get(url.pathname, {}, undefined);
  t.equal(opened.statusCode, 200);
  t.ok(opened.rawPayload.equals(whole.rawPayload), 'the same bytes as the owner gets');
  const ranged = await get(url.pathname, { range: 'bytes=65530-65545' }, undefined);
  t.equal(ranged.statusCode, 206);
  t.ok(ranged.rawPayload.equals(whole.rawPayload.subarray(65530, 65546)));

  const token = url.pathname.split('/').at(-1)!;
  const forged = [
    token.slice(0, 30) + (token[30] === 'A' ? 'B' : 'A') + token.slice(31),
    token.slice(0, 63) + (token[63] === 'A' ? 'Q' : 'A'),
    randomBytes(48).toString('base64url'),
    token.slice(0, 40),
  ];
  for (const bad of forged) {
    const denied = await get(`/downloads/${bad}`, {}, undefined);
    t.equal(denied.statusCode, 403, 'a forged token is refused');
    t.same(denied.json(), { type: 'urn:dsar:problem:invalid-link', title: 'Forbidden', status: 403, detail: 'This link is not valid' });
  }
  t.equal((await get('/downloads/..%2F..%2Fetc%2Fpasswd', {}, undefined)).statusCode, 404, 'traversal is no token');
  t.equal((await createLink('..%2F..%2Fetc%2Fpasswd')).statusCode, 404, 'nor a request id');
  t.equal((await get('/v1/requests/..%2F..%2Fetc%2Fpasswd/downloads')).statusCode, 404);

  const short = new URL((await createLink(access.id, { expiresInSeconds: 60 })).json().url).pathname;
  t.equal((await get(short, {}, undefined)).statusCode, 200);
  await sql`update download_links set expires_at = now() - interval '1 second' where request_id = ${access.id} and expires_at < now() + interval '2 minutes'`;
  const expired = await get(short, {}, undefined);
  t.equal(expired.statusCode, 410);
  t.match(expired.json(), { status: 410, title: 'Gone' });

  const twice = await linkPath(access.id, { maxDownloads: 2 });
  t.equal((await app.inject({ method: 'HEAD', url: twice })).statusCode, 200, 'HEAD does not use the link up');
  t.equal((await get(twice, {}, undefined)).statusCode, 200);
  t.equal((await get(twice, { range: 'bytes=0-9' }, undefined)).statusCode, 206, 'a range counts as one download');
  t.equal((await get(twice, {}, undefined)).statusCode, 410, 'used up after maxDownloads');

  for (const body of [{ expiresInSeconds: 5 }, { maxDownloads: 0 }, { other: 1 }]) {
    t.equal((await createLink(access.id, body)).statusCode, 400, JSON.stringify(body));
  }
});

t.test("without PUBLIC_BASE_URL a link's origin is the Host asked on, and only a valid one", async (t) => {
  const on = (host: string) =>
    app.inject({ method: 'POST', url: `/v1/requests/${access.id}/links`, headers: { ...auth(keys.acme), host }, payload: {} });
  for (const host of ['dsar.example:8443', 'localhost', '127.0.0.1:3000', '[::1]:3000']) {
    const res = await on(host);
    t.equal(res.statusCode, 201, host);
    t.match(res.json().url, new RegExp(`^http://${host.replace(/[.[\]]/g, '\\$&')}/downloads/[A-Za-z0-9_-]{64}$`), host);
  }
  for (const host of ['evil.example"><x', 'evil.example/path', 'user@evil.example', 'evil.example:99999', 'evil example', 'a..b', '-a.example']) {
    const res = await on(host);
    t.equal(res.statusCode, 400, host);
    t.match(res.headers['content-type'], /^application\/problem\+json/, host);
    t.notMatch(res.body, /evil|<x/, 'the bad host is not echoed');
  }
  // With PUBLIC_BASE_URL the Host header plays no part.
  const options = { linkTtlSeconds: 60, resultTtlDays: 7, publicBaseUrl: 'https://dsar.example.com' };
  const behindProxy = new DeliveryService(ctx.repo, new DeliveryRepository(ctx.database.db), ctx.results, new LinkSigner(randomBytes(32)), options, ctx.log, { ...ctx, storeTimeoutMs: ctx.config.taskTimeoutMs });
  const link = await behindProxy.createLink('acme', access.id, {}, { protocol: 'http', host: 'evil.example"><x' }, SYSTEM_ACTOR);
  t.match(link.url, /^https:\/\/dsar\.example\.com\/downloads\/[A-Za-z0-9_-]{64}$/);
});

t.test('another tenant can neither reach this request nor open it with its own links', async (t) => {
  for (const res of [
    await createLink(access.id, {}, keys.globex),
    await get(reportUrl, {}, keys.globex),
    await get(`/v1/requests/${access.id}/downloads`, {}, keys.globex),
  ]) {
    t.equal(res.statusCode, 404);
  }
  const theirs = await run({ type: 'access', subject: { accountId: 'nobody' }, features: ['clock-in'] }, keys.globex);
  const theirLink = await app.inject({ method: 'POST', url: `/v1/requests/${theirs.id}/links`, headers: auth(keys.globex), payload: {} });
  const opened = await get(new URL(theirLink.json().url).pathname, {}, undefined);
  t.equal(sha256(opened.rawPayload), theirs.result.sha256, "a globex link opens globex's result");
  t.not(theirs.result.sha256, access.result.sha256);
  t.equal((await createLink(theirs.id)).statusCode, 404, 'and acme cannot link to it');
});

t.test('every download is recorded: who, when, which part, which bytes', async (t) => {
  const fresh = await run({ type: 'export', subject: { accountId: 'bob' }, features: ['clock-in'] });
  const url = `/v1/requests/${fresh.id}/report`;
  await get(url);
  await get(url, { range: 'bytes=5-14' });
  await app.inject({ method: 'HEAD', url, headers: auth(keys.acme) });
  await get(url, { range: `bytes=${fresh.result.size + 5}-` });
  const link = (await createLink(fresh.id, {})).json();
  await get(new URL(link.url).pathname, { range: 'bytes=0-0' }, undefined);

  const items = await downloadsOf(fresh.id, 3);
  t.equal(items.length, 3, 'HEAD and 416 serve no bytes and are not recorded');
  const [apiKey] = await sql`select id::text from api_keys where hash = ${hashKey(keys.acme)}`;
  t.match(items[0], { apiKeyId: apiKey!.id, part: 1, range: { start: 0, end: fresh.result.size - 1 }, bytesSent: fresh.result.size });
  t.match(items[1], { apiKeyId: apiKey!.id, range: { start: 5, end: 14 }, bytesSent: 10 });
  t.match(items[2], { linkId: link.id, range: { start: 0, end: 0 }, bytesSent: 1 });
  t.notOk('linkId' in items[0]!);
  t.ok(items.every((d) => !Number.isNaN(Date.parse(d.at))));
  const events = await ctx.repo.events(fresh.id);
  t.equal(events.filter((e) => e.kind === 'result_downloaded').length, 3, 'in the audit trail too');
});

t.test('a result stored in parts: ?part=N', async (t) => {
  const done = await run({ type: 'export', subject: { accountId: 'carol' }, features: ['clock-in'] });
  const parts = ['first part\n', 'second part, a little longer\n'].map((text, i) => ({
    key: `results/${done.id}/part-${i + 1}.txt`,
    fileName: `part-${i + 1}.txt`,
    size: Buffer.byteLength(text),
    sha256: sha256(Buffer.from(text)),
    text,
  }));
  for (const part of parts) await ctx.results.put(part.key, part.text);
  await ctx.repo.recordParts(done.id, 'text/plain', parts.map(({ text: _text, ...p }) => p));
  const url = `/v1/requests/${done.id}/report`;
  const second = await get(`${url}?part=2`);
  t.equal(second.statusCode, 200);
  t.equal(second.body, parts[1]!.text);
  t.match(second.headers['content-disposition'], /part-2\.txt/);
  t.equal((await get(`${url}?part=2`, { range: 'bytes=0-5' })).body, 'second');
  t.equal((await get(`${url}?part=3`)).statusCode, 404);
  t.equal((await get(`${url}?part=0`)).statusCode, 400);
  t.equal(sha256((await get(url)).rawPayload), done.result.sha256, 'without part: the result itself');
  const link = new URL((await createLink(done.id)).json().url).pathname;
  t.equal((await get(`${link}?part=1`, {}, undefined)).body, parts[0]!.text, 'links open parts too');
});

t.test('a damaged stored result fails to read instead of serving altered bytes', async (t) => {
  const done = await run({ type: 'access', subject: { accountId: 'dave' }, features: ['clock-in'] });
  const row = await ctx.repo.findById(done.id);
  const file = path.join(ctx.config.resultsDir, row!.resultKey!);
  const original = readFileSync(file);
  const flipped = Buffer.from(original);
  flipped[flipped.length - 20]! ^= 0x01;
  writeFileSync(file, flipped);
  const res = await get(`/v1/requests/${done.id}/report`);
  t.equal(res.statusCode, 500);
  t.match(res.json(), { title: 'Internal server error', detail: /cannot be read/ });
  writeFileSync(file, original.subarray(0, original.length - 1000));
  t.equal((await get(`/v1/requests/${done.id}/report`)).statusCode, 500, 'truncated');
  writeFileSync(file, original);
  t.equal((await get(`/v1/requests/${done.id}/report`)).statusCode, 200, 'intact again');
});

t.test('expiry: a repeatable job deletes results past retention; the report is then 410 Gone', async (t) => {
  const old = await run({ type: 'access', subject: { accountId: 'erin' }, features: ['clock-in'] });
  const link = await linkPath(old.id);
  const row = await ctx.repo.findById(old.id);
  const part = `results/${old.id}/part-2.bin`;
  await ctx.results.put(part, 'x');
  await ctx.repo.recordParts(old.id, 'application/zip', [
    { key: row!.resultKey!, fileName: 'a.part1.zip', size: old.result.size, sha256: old.result.sha256 },
    { key: part, fileName: 'a.part2.zip', size: 1, sha256: sha256(Buffer.from('x')) },
  ]);
  await sql`update requests set completed_at = now() - interval '8 days' where id = ${old.id}`;

  const connection = ctx.redis.duplicate();
  const queue = new Queue('result-expiry', { connection, prefix: ctx.config.queuePrefix });
  t.teardown(async () => {
    await queue.close();
    connection.disconnect();
  });
  const schedulers = await queue.getJobSchedulers();
  t.match(schedulers, [{ key: 'result-expiry', every: 3_600_000 }], 'the worker registered the repeatable job');
  await queue.add('result-expiry', {});
  const deadline = Date.now() + 20_000;
  let view = (await get(`/v1/requests/${old.id}`)).json();
  // The request turns `expired` first, then its files go, then the result is forgotten.
  while ((view.status !== 'expired' || view.result) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    view = (await get(`/v1/requests/${old.id}`)).json();
  }
  t.equal(view.status, 'expired');
  t.notOk(view.result, 'no result offered any more');
  t.equal(await ctx.results.size(row!.resultKey!), undefined, 'the result is deleted');
  t.equal(await ctx.results.size(part), undefined, 'and its parts');

  const report = await get(`/v1/requests/${old.id}/report`);
  t.equal(report.statusCode, 410);
  t.match(report.json(), { status: 410, title: 'Gone', detail: /retention/ });
  t.equal((await get(link, {}, undefined)).statusCode, 410, 'its links are gone too');
  t.equal((await createLink(old.id)).statusCode, 410);
  t.equal((await get(reportUrl)).statusCode, 200, 'a recent result stays');
  t.ok((await ctx.repo.events(old.id)).some((e) => e.kind === 'expired'), 'recorded in the audit trail');
});
