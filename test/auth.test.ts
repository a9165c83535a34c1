import t from 'tap';
import Fastify from 'fastify';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { auth, startSystem, subjectToken, VERIFIED } from './helper.js';
import { buildApp } from '../src/http/app.js';
import { SubjectTokens } from '../src/auth/subject-tokens.js';
import { requireAuth } from '../src/auth/hook.js';
import { ApiKeyService } from '../src/auth/api-keys.js';
import { SYSTEM_ACTOR } from '../src/auth/principal.js';
import { subjectTokenSecret } from '../src/secrets.js';

// Who is calling: API keys minted, listed and revoked over REST; data subjects' tokens; rate limits.

const ISSUER = 'https://login.suite.example';
const AUDIENCE = 'dsar';

t.test('admins mint, list and revoke keys; a revoked key answers 401 at once', async (t) => {
  const sys = await startSystem(t, {}, { worker: false });
  const { app, keys } = sys;
  const minted = await app.inject({ method: 'POST', url: '/v1/api-keys', headers: auth(keys.acme), payload: { name: 'support', role: 'agent' } });
  t.equal(minted.statusCode, 201);
  const created = minted.json();
  t.match(created, { name: 'support', role: 'agent', key: /^dsar_/, lastUsedAt: null });
  t.equal(created.prefix, created.key.slice(0, 9));

  const asAgent = await app.inject({ method: 'GET', url: '/v1/requests', headers: auth(created.key) });
  t.equal(asAgent.statusCode, 200, 'the new key works');
  const agentMints = await app.inject({ method: 'POST', url: '/v1/api-keys', headers: auth(created.key), payload: { name: 'x', role: 'admin' } });
  t.equal(agentMints.statusCode, 403, 'an agent mints no keys');
  t.match(agentMints.headers['content-type'], /^application\/problem\+json/);
  t.equal(agentMints.json().type, 'urn:dsar:problem:forbidden:keys:manage');

  const list = await app.inject({ method: 'GET', url: '/v1/api-keys', headers: auth(keys.acme) });
  t.equal(list.statusCode, 200);
  const support = list.json().items.find((k: { id: string }) => k.id === created.id);
  t.match(support, { name: 'support', role: 'agent', prefix: created.prefix, lastUsedAt: /^\d{4}-/ }, 'last use is recorded');
  t.notMatch(list.body, created.key, 'the key is never listed');
  t.notOk('hash' in support || 'key' in support);
  t.notOk(list.json().items.some((k: { name: string; role: string }) => k.name === 'test' && k.role !== 'admin'), 'the tests’ keys are admins');
  const globexList = await app.inject({ method: 'GET', url: '/v1/api-keys', headers: auth(keys.globex) });
  t.notOk(globexList.json().items.some((k: { id: string }) => k.id === created.id), "another tenant's keys are not listed");

  const otherTenant = await app.inject({ method: 'DELETE', url: `/v1/api-keys/${created.id}`, headers: auth(keys.globex) });
  t.equal(otherTenant.statusCode, 404, "another tenant's key is not found");
  const revoked = await app.inject({ method: 'DELETE', url: `/v1/api-keys/${created.id}`, headers: auth(keys.acme) });
  t.equal(revoked.statusCode, 204);
  const after = await app.inject({ method: 'GET', url: '/v1/requests', headers: auth(created.key) });
  t.equal(after.statusCode, 401, 'a revoked key answers 401 on its next call');
  t.match(after.headers['www-authenticate'], /^Bearer/);
  const again = await app.inject({ method: 'DELETE', url: `/v1/api-keys/${created.id}`, headers: auth(keys.acme) });
  t.equal(again.statusCode, 404, 'a revoked key is gone');
  const bad = await app.inject({ method: 'POST', url: '/v1/api-keys', headers: auth(keys.acme), payload: { name: 'x', role: 'subject' } });
  t.equal(bad.statusCode, 400, 'keys are for admins and agents');
});

t.test('a key checked as live is taken for AUTH_CACHE_MS; a revocation elsewhere is seen within it, here at once', async (t) => {
  const sys = await startSystem(t, {}, { worker: false });
  let now = 1_000_000;
  const cacheMs = 5000;
  // Two API processes on one database, each with its cache.
  const here = new ApiKeyService(sys.ctx.database.db, { cacheMs, now: () => now });
  const there = new ApiKeyService(sys.ctx.database.db, { cacheMs, now: () => now });
  const key = await here.create('acme', 'cached', 'agent');
  const keyId = ((await here.principalOf(key)) as { keyId: string }).keyId;
  t.match(await there.principalOf(key), { kind: 'api_key', tenantId: 'acme', role: 'agent', keyName: 'cached' }, 'the other process checks it');

  await here.revoke('acme', keyId, SYSTEM_ACTOR);
  t.equal(await here.principalOf(key), undefined, 'revoked here: refused at once');
  now += cacheMs - 1;
  t.ok(await there.principalOf(key), 'the other process may take it until its check is AUTH_CACHE_MS old');
  now += 1;
  t.equal(await there.principalOf(key), undefined, 'and refuses it from then on');
  now += cacheMs * 10;
  t.equal(await there.principalOf(key), undefined, 'for good');

  const uncached = new ApiKeyService(sys.ctx.database.db, { cacheMs: 0, now: () => now });
  const other = await uncached.create('acme', 'uncached', 'agent');
  const otherId = ((await uncached.principalOf(other)) as { keyId: string }).keyId;
  t.ok(await uncached.principalOf(other));
  await here.revoke('acme', otherId, SYSTEM_ACTOR);
  t.equal(await uncached.principalOf(other), undefined, 'AUTH_CACHE_MS=0: every call asks Postgres');
  t.equal(await here.principalOf('dsar_unknownunknownunknownunknown'), undefined, 'an unknown key is refused');
});

t.test("subject tokens: a wrong signature, issuer, audience, an expired or incomplete token answer 401", async (t) => {
  const sys = await startSystem(t, { SUBJECT_TOKEN_ISSUER: ISSUER, SUBJECT_TOKEN_AUDIENCE: AUDIENCE }, { worker: false });
  const { app } = sys;
  const secret = subjectTokenSecret(sys.ctx.config)!;
  const get = (token: string) => app.inject({ method: 'GET', url: '/v1/requests', headers: auth(token) });

  t.equal((await get(await subjectToken(sys, 'acme', 'alice'))).statusCode, 200, 'a genuine token works');
  const otherSecret = new SubjectTokens({ secret: Buffer.alloc(32, 7).toString('base64'), issuer: ISSUER, audience: AUDIENCE });
  const otherIssuer = new SubjectTokens({ secret, issuer: 'https://evil.example', audience: AUDIENCE });
  const otherAudience = new SubjectTokens({ secret, issuer: ISSUER, audience: 'someone-else' });
  const same = new SubjectTokens({ secret, issuer: ISSUER, audience: AUDIENCE });
  const cases: Array<[string, string]> = [
    ['wrong signature', await otherSecret.mint('acme', 'alice')],
    ['wrong issuer', await otherIssuer.mint('acme', 'alice')],
    ['wrong audience', await otherAudience.mint('acme', 'alice')],
    ['expired', await same.mint('acme', 'alice', { ttlSeconds: -60 })],
    ['not a token', 'not-a-jwt-at-all'],
    ['an unknown key', `dsar_${'x'.repeat(43)}`],
  ];
  for (const [name, token] of cases) {
    const res = await get(token);
    t.equal(res.statusCode, 401, name);
    t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token"', name);
    t.match(res.headers['content-type'], /^application\/problem\+json/, name);
  }
  const none = await app.inject({ method: 'GET', url: '/v1/requests' });
  t.equal(none.statusCode, 401);
  t.equal(none.headers['www-authenticate'], 'Bearer');

  // A token without a tenant or auth_time is not a subject's login.
  const { SignJWT } = await import('jose');
  const now = Math.floor(Date.now() / 1000);
  const key = Buffer.from(secret, 'base64');
  const partial = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(now + 60).sign(key);
  t.equal((await get(await partial({ auth_time: now }))).statusCode, 401, 'no tenant');
  t.equal((await get(await partial({ tenant: 'acme' }))).statusCode, 401, 'no auth_time');
});

t.test('a subject asks about their own account only', async (t) => {
  const sys = await startSystem(t, {}, { worker: false });
  const { app } = sys;
  const token = await subjectToken(sys, 'acme', 'alice');
  const post = (payload: object) => app.inject({ method: 'POST', url: '/v1/requests', headers: auth(token), payload });

  const implicit = await post({ type: 'access', features: ['im'] });
  t.equal(implicit.statusCode, 202, 'the subject may be left out');
  t.match(implicit.json().subject, { accountId: 'alice', identifiedBy: 'accountId' });
  // Another type: alice's access request is open, and a second one would be answered with it.
  const byEmail = await post({ type: 'export', subject: { email: 'alice@acme.example' }, features: ['im'] });
  t.equal(byEmail.statusCode, 202, 'their own email resolves to their own account');
  t.match(byEmail.json().subject, { accountId: 'alice', identifiedBy: 'email' });
  for (const subject of [{ accountId: 'bob' }, { email: 'bob@acme.example' }, { email: 'nobody@acme.example' }, { email: 'support@acme.example' }]) {
    const res = await post({ type: 'access', subject, features: ['im'] });
    t.equal(res.statusCode, 422, JSON.stringify(subject));
    t.match(res.json(), { type: 'urn:dsar:problem:subject-not-own', errors: [{ field: '/subject' }] });
  }
  const keyWithout = await app.inject({ method: 'POST', url: '/v1/requests', headers: auth(sys.keys.acme), payload: { type: 'access', verification: VERIFIED } });
  t.equal(keyWithout.statusCode, 400, 'a key names the subject');
  t.match(keyWithout.json(), { errors: [{ field: '/subject' }] });
});

t.test('rate limits per key and per subject: 429 with Retry-After', async (t) => {
  const sys = await startSystem(t, { RATE_LIMIT_PER_MINUTE: '3', SUBJECT_RATE_LIMIT_PER_MINUTE: '2' }, { worker: false });
  const { app, keys } = sys;
  const get = (credential: string) => app.inject({ method: 'GET', url: '/v1/catalogue', headers: auth(credential) });
  for (let i = 0; i < 3; i++) t.equal((await get(keys.acme)).statusCode, 200);
  const limited = await get(keys.acme);
  t.equal(limited.statusCode, 429);
  t.match(limited.headers['content-type'], /^application\/problem\+json/);
  t.match(limited.json(), { type: 'urn:dsar:problem:rate-limited', status: 429 });
  t.ok(Number(limited.headers['retry-after']) > 0, `Retry-After: ${limited.headers['retry-after']}`);
  t.equal((await get(keys.globex)).statusCode, 200, 'each key has its own count');

  const alice = await subjectToken(sys, 'acme', 'alice');
  const aliceAgain = await subjectToken(sys, 'acme', 'alice', { authAgeSeconds: 5 });
  t.equal((await get(alice)).statusCode, 200);
  t.equal((await get(aliceAgain)).statusCode, 200);
  t.equal((await get(alice)).statusCode, 429, 'a subject is counted across their tokens');
  t.equal((await get(await subjectToken(sys, 'acme', 'bob'))).statusCode, 200, 'each subject has their own count');
});

t.test('calls of a key at the same time are each counted, however they are batched on the way to Redis', async (t) => {
  const sys = await startSystem(t, { RATE_LIMIT_PER_MINUTE: '5' }, { worker: false });
  const get = () => sys.app.inject({ method: 'GET', url: '/v1/catalogue', headers: auth(sys.keys.acme) });
  const answers = await Promise.all(Array.from({ length: 8 }, get));
  const statuses = answers.map((res) => res.statusCode);
  t.same(statuses.filter((s) => s === 200).length, 5, `five taken: ${statuses}`);
  t.same(statuses.filter((s) => s === 429).length, 3, 'the rest refused');
  const remaining = answers.filter((res) => res.statusCode === 200).map((res) => Number(res.headers['x-ratelimit-remaining']));
  t.same(remaining.sort((a, b) => a - b), [0, 1, 2, 3, 4], 'each taken call has its own place in the count');
  t.ok(answers.every((res) => Number(res.headers['x-ratelimit-reset']) > 0), 'and the window its first call opened');
  t.equal((await get()).statusCode, 429, 'a later call is refused too');
});

t.test('a host leases a block of a key\'s calls from Redis and spends it without a round trip a call; hosts share the count', async (t) => {
  // A limit of 1,000 a minute: leases of 10 calls (1 %). Two apps on the same Redis stand for two API hosts.
  const sys = await startSystem(t, { RATE_LIMIT_PER_MINUTE: '1000' }, { worker: false });
  const other = await buildApp(sys.ctx);
  t.teardown(() => other.close());
  const get = (app: typeof other) => app.inject({ method: 'GET', url: '/v1/catalogue', headers: auth(sys.keys.acme) });
  const remaining = async (app: typeof other) => Number((await get(app)).headers['x-ratelimit-remaining']);
  const counted = async () => {
    const [count] = await sys.ctx.redis.keys(`${sys.ctx.config.queuePrefix}:rate-limit:key:*`);
    return count ? Number(await sys.ctx.redis.get(count)) : 0;
  };
  t.equal(await counted(), 0, 'nothing counted yet');

  t.equal(await remaining(sys.app), 999, 'the first call takes the first place');
  t.equal(await counted(), 10, 'and its host leased ten');
  const spent = [];
  for (let i = 0; i < 9; i++) spent.push(await remaining(sys.app));
  t.same(spent, [998, 997, 996, 995, 994, 993, 992, 991, 990], 'the next nine spend the lease, each its own place');
  t.equal(await counted(), 10, 'without asking Redis again');
  t.equal(await remaining(other), 989, 'another host leases the next ten');
  t.equal(await remaining(sys.app), 979, 'and the first host, its lease spent, the ten after');
  t.equal(await counted(), 30);
});

t.test('a /v1 route that names no permission does not start', async (t) => {
  const app = Fastify();
  const start = async () => {
    await app.register(async (v1) => {
      requireAuth(v1, { keys: {} as never, subjects: {} as never, subjectOfRequest: async () => undefined });
      v1.get('/forgotten', async () => 'open');
    });
    await app.ready();
  };
  await t.rejects(start, /GET \/forgotten declares no permission/);
  await app.close();
});

t.test("a login service's tokens are verified with its JWKS, issuer and audience", async (t) => {
  const { generateKeyPair, exportJWK, SignJWT } = await import('jose');
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'login-1', alg: 'ES256' }] });
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const sys = await startSystem(
    t,
    { SUBJECT_JWKS_URL: `http://127.0.0.1:${port}/jwks`, SUBJECT_TOKEN_ISSUER: ISSUER, SUBJECT_TOKEN_AUDIENCE: AUDIENCE },
    { worker: false },
  );
  const now = Math.floor(Date.now() / 1000);
  const login = (issuer: string) =>
    new SignJWT({ tenant: 'acme', auth_time: now })
      .setProtectedHeader({ alg: 'ES256', kid: 'login-1' })
      .setSubject('alice')
      .setIssuer(issuer)
      .setAudience(AUDIENCE)
      .setExpirationTime(now + 300)
      .sign(privateKey);
  const get = async (token: string) => (await sys.app.inject({ method: 'GET', url: '/v1/requests', headers: auth(token) })).statusCode;
  t.equal(await get(await login(ISSUER)), 200, "the login service's token");
  t.equal(await get(await login('https://evil.example')), 401, 'another issuer');
  await t.rejects(subjectToken(sys, 'acme', 'alice'), /SUBJECT_TOKEN_SECRET/, 'no minting without a secret');
});
