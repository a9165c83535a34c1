import t from 'tap';
import fc, { type Arbitrary } from 'fast-check';
import { readFileSync } from 'node:fs';
import { auth, createRequest, startSystem, subjectToken, VERIFIED, waitForEnd, type TestSystem } from './helper.js';
import { anyJson, invalid, oddString, valid, type Schema } from './fuzz/schema-arbitraries.js';

/**
 * The fuzz suite: for every operation of the committed OpenAPI document, property-based requests
 * (fast-check) with valid and broken path parameters, query strings, headers and bodies, against the
 * app in process. For each: never a 5xx, an answer within CASE_TIMEOUT_MS, every 4xx a problem+json
 * body whose status is the HTTP status; a body that breaks its schema never succeeds, and a body of
 * another media type than JSON is refused as such (415).
 *
 * FUZZ_RUNS cases in all, spread over the operations (CI: the default; `npm run test:fuzz`: 12,000).
 * FUZZ_SEED replays a run (the seed is printed).
 */

const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
// Generous for two loaded cores; a hang is minutes, not seconds.
const CASE_TIMEOUT_MS = 15_000;

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: Schema;
}

interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  /** The JSON schema of the body, for operations that take JSON. */
  body?: Schema;
  /** Takes a raw body of any media type (uploads). */
  rawBody: boolean;
}

interface OpenApi {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } }>>;
}

function operationsOf(doc: OpenApi): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      parameters: op.parameters ?? [],
      body: op.requestBody?.content['application/json']?.schema,
      // An upload's body is bytes of any media type (`*/*`).
      rawBody: op.requestBody !== undefined && op.requestBody.content['application/json'] === undefined,
    })),
  );
}

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  /** The body breaks the operation's schema: the call must not succeed. */
  invalidBody?: boolean;
  /** The body is sent as another media type than JSON: the call must be refused as such. */
  wrongMediaType?: boolean;
}

/** Resources of the test system the requests aim at some of the time, so that handlers run past lookups. */
interface Pools {
  requestIds: string[];
  /** Keys that DELETE /v1/api-keys/{id} may revoke: never the ones the suite calls with. */
  spareKeyIds: string[];
  linkTokens: string[];
  credentials: string[];
  viewPaths: string[];
}

/** Percent-encodes every byte but the unreserved ones (lone surrogates become U+FFFD, as a client would send). */
function encode(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

/** What a client can put in a header value: visible ASCII, tabs and Latin-1 (anything else is refused before sending). */
function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

/** Path segments sent as they are: traversal, encoded NUL and slashes, broken escapes. */
const RAW_SEGMENTS = ['..', '../..', '.%2e/.%2e', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '%00', '%E0%A4%A', '%', '%zz', 'a/b', '', '//x', '..%5c..%5c'];

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Good and bad values of one part of a request; a case breaks one part (or all, or none). */
interface Part<T> {
  good: Arbitrary<T>;
  bad: Arbitrary<T>;
}

function pathPart(parameter: Parameter, op: Operation, pools: Pools): Part<string> {
  const real =
    parameter.name === 'id'
      ? op.path.startsWith('/v1/api-keys') ? pools.spareKeyIds : pools.requestIds
      : parameter.name === 'token'
        ? pools.linkTokens
        : parameter.name === 'path'
          ? pools.viewPaths
          : ['clock-in', 'im'];
  const segments = parameter.name === 'path' ? fc.array(oddString, { minLength: 1, maxLength: 4 }).map((parts) => parts.map(encode).join('/')) : oddString.map(encode);
  return {
    good: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...real).map(encode) },
      { weight: 1, arbitrary: valid(parameter.schema).map((v) => encode(asText(v))) },
    ),
    bad: fc.oneof(
      { weight: 3, arbitrary: segments },
      { weight: 1, arbitrary: invalid(parameter.schema).map((v) => encode(asText(v))) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 101, maxLength: 5000 }).map(encode) },
    ),
  };
}

function pathOf(op: Operation, pools: Pools): Part<string> {
  const params = op.parameters.filter((p) => p.in === 'path');
  const parts = params.map((p) => pathPart(p, op, pools));
  const fill = (values: string[]) => params.reduce((url, p, i) => url.replace(`{${p.name}}`, values[i] as string), op.path);
  if (!parts.length) return { good: fc.constant(op.path), bad: fc.constant(op.path) };
  return {
    good: fc.tuple(...parts.map((p) => p.good)).map(fill),
    // One parameter broken, or all.
    bad: fc.oneof(
      fc.nat(parts.length - 1).chain((broken) => fc.tuple(...parts.map((p, i) => (i === broken ? p.bad : p.good)))).map(fill),
      fc.tuple(...parts.map((p) => p.bad)).map(fill),
    ),
  };
}

const base64url = (text: string) => Buffer.from(text).toString('base64url');

/** Cursors as a client could craft them: list cursors are base64url JSON of [createdAt, id]. */
const craftedCursor: Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.constantFrom('2026-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '0000-01-01T00:00:00Z', '99999-01-01', 'yesterday', ''),
        fc.oneof(fc.integer(), fc.double()),
      ),
      fc.oneof(fc.uuid(), fc.constantFrom('f'.repeat(36), '-'.repeat(36), 'ffffffff-ffff-ffff-ffff-ffffffffffff'), fc.stringMatching(/^[0-9a-f-]{36}$/), oddString),
    )
    .map((pair) => base64url(JSON.stringify(pair))),
  anyJson.map((v) => base64url(JSON.stringify(v))),
  oddString.map(base64url),
  fc.oneof(fc.integer(), fc.double()).map((n) => base64url(String(n))),
  oddString,
);

/** `name=value` pairs of one query parameter (repeated sometimes, which makes an array). */
function queryPart(parameter: Parameter): Part<string[]> {
  const pairs = (value: Arbitrary<string>) => fc.array(value, { minLength: 1, maxLength: 2 }).map((values) => values.map((v) => `${parameter.name}=${encode(v)}`));
  const bad = parameter.name === 'cursor' ? fc.oneof({ weight: 3, arbitrary: craftedCursor }, { weight: 1, arbitrary: oddString }) : fc.oneof(invalid(parameter.schema).map(asText), oddString);
  return {
    good: fc.option(valid(parameter.schema).map((v) => [`${parameter.name}=${encode(asText(v))}`]), { nil: [] }),
    bad: pairs(bad),
  };
}

const strayQuery: Arbitrary<string[]> = fc.oneof(
  fc.tuple(oddString, oddString).map(([k, v]) => [`${encode(k)}=${encode(v)}`]),
  fc.constantFrom<string[]>(['%zz=%E0%A4%A'], ['a[b]=1&a[c]=2'], ['__proto__[x]=1'], ['='], ['&&&'], ['limit']),
);

function queryOf(op: Operation): Part<string> {
  const params = op.parameters.filter((p) => p.in === 'query');
  const parts = params.map(queryPart);
  const join = (pairs: string[][]) => (pairs.flat().length ? `?${pairs.flat().join('&')}` : '');
  const good = parts.length ? fc.tuple(...parts.map((p) => p.good)).map(join) : fc.constant('');
  // Cursors are decoded by hand, so they are broken more often than the parameters the schema checks.
  const brokenIndex = () => fc.oneof(...params.map((p, i) => ({ weight: p.name === 'cursor' ? params.length : 1, arbitrary: fc.constant(i) })));
  const oneBroken = parts.length
    ? brokenIndex().chain((broken) => fc.tuple(...parts.map((p, i) => (i === broken ? p.bad : p.good)))).map(join)
    : strayQuery.map((pairs) => join([pairs]));
  return { good, bad: fc.oneof(oneBroken, fc.tuple(good, strayQuery).map(([query, stray]) => (query ? `${query}&` : '?') + stray.join('&'))) };
}

function authorizationOf(pools: Pools): Part<string | undefined> {
  const [admin, agent, subject, otherTenant] = pools.credentials as [string, string, string, string];
  return {
    good: fc.oneof(
      { weight: 5, arbitrary: fc.constant(admin) },
      { weight: 2, arbitrary: fc.constant(agent) },
      { weight: 2, arbitrary: fc.constant(subject) },
      { weight: 1, arbitrary: fc.constant(otherTenant) },
    ).map((credential) => `Bearer ${credential}`),
    bad: fc.oneof(
      fc.constant(undefined),
      oddString.map((s) => headerSafe(`Bearer ${s}`)),
      fc.constantFrom(
        'Basic YWRtaW46YWRtaW4=',
        'Bearer',
        'Bearer ',
        `Bearer dsar_${'0'.repeat(40)}`,
        // alg "none", and a token signed with another secret.
        'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsInRlbmFudCI6ImFjbWUiLCJhdXRoX3RpbWUiOjAsImV4cCI6OTk5OTk5OTk5OX0.',
        'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsInRlbmFudCI6ImFjbWUiLCJhdXRoX3RpbWUiOjAsImV4cCI6OTk5OTk5OTk5OX0.c2lnbmF0dXJl',
      ),
      fc.constantFrom(admin, subject).map((c) => `bearer  ${c}`),
      fc.constantFrom(admin, subject).map((c) => `Bearer ${c.slice(0, -2)}`),
    ),
  };
}

const rangeHeader: Arbitrary<string> = fc.oneof(
  fc.tuple(fc.nat(10_000_000), fc.nat(10_000_000)).map(([a, b]) => `bytes=${a}-${b}`),
  fc.nat(10_000_000).map((n) => `bytes=-${n}`),
  fc.nat(10_000_000).map((n) => `bytes=${n}-`),
  fc.constantFrom('bytes=0-0,5-9', 'bytes=99999999999999999999-', 'bytes=9-1', 'bytes=--', 'bytes=', 'items=0-1', `bytes=${'0-1,'.repeat(500)}0-1`, 'bytes=-0', 'bytes=0x10-'),
  oddString.map(headerSafe),
);

const ifRangeHeader: Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 70 }).map((s) => `"${s.replace(/"/g, '')}"`),
  fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
  fc.constantFrom('W/"x"', '*', 'Thu, 01 Jan 1970 00:00:00 GMT', 'Fri, 31 Dec 9999 23:59:59 GMT'),
  oddString.map(headerSafe),
);

/** Media types that are not JSON; a JSON route answers them 415. */
const OTHER_MEDIA_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  'application/jsonx',
  'text/json',
  'json',
  '*/*',
  'application/problem+json',
];

interface BodyPart {
  payload?: string;
  contentType?: string;
  invalidBody?: boolean;
  wrongMediaType?: boolean;
}

function jsonBody(schema: Schema, bodyLimit: number): Part<BodyPart> {
  const json = 'application/json';
  return {
    good: valid(schema).map((v) => ({ payload: JSON.stringify(v), contentType: json })),
    bad: fc.oneof(
      { weight: 6, arbitrary: invalid(schema).map((v) => ({ payload: JSON.stringify(v), contentType: json, invalidBody: true })) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(anyJson, fc.constantFrom(json, 'application/json; charset=utf-8', 'Application/JSON'))
          .map(([v, contentType]) => ({ payload: JSON.stringify(v), contentType })),
      },
      {
        weight: 1,
        arbitrary: fc
          .oneof(oddString, fc.constantFrom('', '{', '{"a":', 'nul', '[1,]', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\uFEFF{}'))
          .map((payload) => ({ payload, contentType: json })),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(valid(schema), fc.constantFrom(...OTHER_MEDIA_TYPES))
          .map(([v, contentType]) => ({ payload: JSON.stringify(v), contentType, wrongMediaType: true })),
      },
      { weight: 1, arbitrary: valid(schema).map((v) => ({ payload: JSON.stringify(v) })) },
      { weight: 1, arbitrary: fc.constant({ payload: JSON.stringify({ note: 'x'.repeat(bodyLimit) }), contentType: json, invalidBody: true }) },
    ),
  };
}

function rawBody(): Part<BodyPart> {
  const body = fc.record({
    payload: fc.oneof(oddString, fc.string({ unit: 'binary', maxLength: 2000 })),
    contentType: fc.option(fc.oneof(fc.constantFrom('text/csv', 'application/pdf', 'image/png', ...OTHER_MEDIA_TYPES), oddString.map(headerSafe)), { nil: undefined }),
  });
  return { good: body, bad: body };
}

/** Operations without a body sometimes get one anyway. */
const strayBody: Part<BodyPart> = {
  good: fc.constant({}),
  bad: fc.oneof(
    anyJson.map((v) => ({ payload: JSON.stringify(v), contentType: 'application/json' })),
    fc.tuple(oddString, fc.constantFrom(...OTHER_MEDIA_TYPES, 'application/json')).map(([payload, contentType]) => ({ payload, contentType })),
  ),
};

type Broken = 'none' | 'path' | 'query' | 'auth' | 'body' | 'all';

function requests(op: Operation, pools: Pools, bodyLimit: number): Arbitrary<FuzzRequest> {
  const path = pathOf(op, pools);
  const query = queryOf(op);
  const authorization = authorizationOf(pools);
  const body = op.body ? jsonBody(op.body, bodyLimit) : op.rawBody ? rawBody() : op.method === 'GET' ? { good: fc.constant<BodyPart>({}), bad: fc.constant<BodyPart>({}) } : strayBody;
  const ranges = op.parameters.some((p) => p.name === 'range');
  // Credentials are checked first: broken less often, so that the other parts reach their checks.
  const weights: Record<Broken, number> = { none: 2, path: 2, query: 2, auth: 1, body: op.body ? 3 : 1, all: 1 };
  const broken = fc.oneof(...Object.entries(weights).map(([part, weight]) => ({ weight, arbitrary: fc.constant(part as Broken) })));
  return broken.chain((b) =>
    fc
      .record({
        url: fc.tuple(b === 'path' || b === 'all' ? path.bad : path.good, b === 'query' || b === 'all' ? query.bad : query.good).map(([p, q]) => p + q),
        authorization: b === 'auth' || b === 'all' ? authorization.bad : authorization.good,
        body: b === 'body' || b === 'all' ? body.bad : body.good,
        range: fc.option(rangeHeader, { freq: ranges ? 2 : 10, nil: undefined }),
        ifRange: fc.option(ifRangeHeader, { freq: ranges ? 3 : 10, nil: undefined }),
        host: fc.option(fc.constantFrom('evil.example"><x', 'a'.repeat(300), '127.0.0.1:99999', '[::1]', ''), { freq: 10, nil: undefined }),
      })
      .map(({ url, authorization, range, ifRange, host, body }) => {
        const headers: Record<string, string> = {};
        if (authorization !== undefined) headers.authorization = authorization;
        if (range !== undefined) headers.range = range;
        if (ifRange !== undefined) headers['if-range'] = ifRange;
        if (host !== undefined) headers.host = host;
        if (body.contentType !== undefined) headers['content-type'] = body.contentType;
        return {
          method: op.method,
          url,
          headers,
          ...(body.payload === undefined ? {} : { payload: body.payload }),
          ...(body.invalidBody ? { invalidBody: true } : {}),
          ...(body.wrongMediaType ? { wrongMediaType: true } : {}),
        };
      }),
  );
}

/** What every answer must be; throws (so fast-check shrinks and reports the request) otherwise. */
async function check(app: TestSystem['app'], request: FuzzRequest, statuses: Map<number, number>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
  });
  const res = await Promise.race([
    app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, ...(request.payload === undefined ? {} : { payload: request.payload }) }),
    timeout,
  ]).finally(() => clearTimeout(timer));
  const status = res.statusCode;
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
  const said = `${status} ${String(res.headers['content-type'])} ${res.body.slice(0, 300)}`;
  if (status >= 500) throw new Error(`answered ${said}`);
  if (request.invalidBody && status < 300) throw new Error(`a body that breaks the schema succeeded: ${said}`);
  if (status < 400) {
    if (request.wrongMediaType) throw new Error(`a body that is not JSON succeeded: ${said}`);
    return;
  }
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) throw new Error(`a ${status} that is not problem+json: ${said}`);
  const problem = JSON.parse(res.body) as { type?: unknown; title?: unknown; status?: unknown };
  if (typeof problem.type !== 'string' || typeof problem.title !== 'string' || problem.status !== status) {
    throw new Error(`a ${status} whose problem is not {type, title, status}: ${said}`);
  }
  // Refused for its media type (415), or for something checked before the body (path, credentials), never validated.
  if (request.wrongMediaType && problem.type === 'urn:dsar:problem:validation') throw new Error(`a body that is not JSON was validated: ${said}`);
}

async function fixtures(sys: TestSystem): Promise<Pools> {
  const { app, keys, ctx } = sys;
  const agentKey = await ctx.apiKeys.create('acme', 'fuzz agent', 'agent');
  const subject = await subjectToken(sys, 'acme', 'alice');
  const put = await app.inject({ method: 'PUT', url: '/v1/tenant/features/clock-in', headers: auth(keys.acme), payload: { enabled: true, adapter: 'manual' } });
  if (put.statusCode !== 200) throw new Error(`clock-in manual: ${put.body}`);
  const access = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: ['im'] });
  const deletion = await createRequest(sys, { type: 'deletion', subject: { accountId: 'carol' }, features: ['calendar'] });
  await waitForEnd(sys, access.id);
  await waitForEnd(sys, deletion.id);
  const manual = await createRequest(sys, { type: 'export', subject: { accountId: 'bob' }, features: ['clock-in'] });
  const review = await app.inject({
    method: 'POST',
    url: '/v1/requests',
    headers: auth(keys.acme),
    payload: { type: 'deletion', subject: { accountId: 'dave' }, features: ['calendar'], verification: VERIFIED },
  });
  const link = await app.inject({ method: 'POST', url: `/v1/requests/${access.id}/links`, headers: auth(keys.acme), payload: {} });
  const spareKeyIds = await Promise.all(
    [1, 2, 3].map(async (n) => (await app.inject({ method: 'POST', url: '/v1/api-keys', headers: auth(keys.acme), payload: { name: `spare ${n}`, role: 'agent' } })).json().id as string),
  );
  // The worker stops here: what the fuzzing creates stays queued instead of loading the machine.
  await sys.worker.close();
  return {
    requestIds: [access.id, deletion.id, manual.id, review.json().id],
    spareKeyIds,
    linkTokens: [new URL(link.json().url).pathname.split('/').pop() as string],
    credentials: [keys.acme, agentKey, subject, keys.globex],
    viewPaths: ['index.html', 'data.json', '', 'files', 'im/index.html', 'manifest.json'],
  };
}

t.test('fuzz: every operation of the OpenAPI document', async (t) => {
  const sys = await startSystem(t);
  const doc = JSON.parse(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8')) as OpenApi;
  const operations = operationsOf(doc);
  const pools = await fixtures(sys);
  // Operations with more to vary get more cases: parameters, and most of all a body.
  const surface = (op: Operation) => 2 + op.parameters.length + (op.body || op.rawBody ? 4 : 0);
  const totalSurface = operations.reduce((sum, op) => sum + surface(op), 0);
  let cases = 0;
  const statuses = new Map<number, number>();
  for (const op of operations) {
    const property = fc.asyncProperty(requests(op, pools, sys.ctx.config.bodyLimit), (request) => check(sys.app, request, statuses));
    const details = await fc.check(property, { numRuns: Math.max(5, Math.round((TOTAL_RUNS * surface(op)) / totalSurface)), seed: SEED });
    cases += details.numRuns;
    t.notOk(details.failed, `${op.method} ${op.path}: ${details.numRuns} cases`);
    if (details.failed) t.comment(`${String(details.errorInstance)}\n${fc.defaultReportMessage(details)}`);
  }
  t.comment(`fuzz: ${cases} cases over ${operations.length} operations (FUZZ_RUNS=${TOTAL_RUNS}, FUZZ_SEED=${SEED})`);
  const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`);
  t.comment(`fuzz: answers by status ${byStatus.join(', ')}`);
  t.ok(cases >= TOTAL_RUNS * 0.9, `ran ${cases} cases`);
});
