import Type, { type Static, type TSchema, type TUnsafe } from 'typebox';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import type { RouteOptions } from 'fastify';
import { Problem } from '../errors.js';

/**
 * The API contract's building blocks: the document's frame (servers, tags, security schemes), references
 * to the named schemas, and the answers every route declares the same way. A route states its
 * operationId, summary and description, tags, security, its own answers (`json`, `content`, `empty`) with
 * an example, and the problems only it gives (`problems(404, 409)`); the layers in front of it declare
 * theirs when the route is added (auth: 401/403/503, rate limit: 429, validation: 400/404/413/415,
 * idempotency: 409/422), so that every status a route can answer is in the document once.
 */

/** A named schema (registered once with `addSchema`; `components.schemas.<$id>` in the document), typed as itself. */
export function ref<T extends TSchema>(schema: T): TUnsafe<Static<T>> {
  const id = (schema as { $id?: unknown }).$id;
  if (typeof id !== 'string') throw new Error('ref() needs a schema with an $id');
  return Type.Unsafe<Static<T>>({ $ref: `${id}#` });
}

interface HeaderSchema {
  type: 'string' | 'integer';
  description: string;
  format?: string;
}
export type Headers = Record<string, HeaderSchema>;

/** Response headers, as the server sends them. */
export const responseHeader = {
  location: { type: 'string', description: 'Where the resource created or found is: /v1/requests/{id}' },
  reportIndex: { type: 'string', description: "index.html, relative to this path: the report's first page" },
  etag: { type: 'string', description: 'The version of this answer: send it back as If-None-Match (If-Range for a file)' },
  cacheControl: { type: 'string', description: 'private, no-cache (JSON a client polls) or private, no-store (result content)' },
  retryAfter: { type: 'integer', description: 'Seconds to wait before asking again' },
  retryInUse: { type: 'integer', description: 'With idempotency-key-in-use: seconds to wait before retrying the call' },
  link: { type: 'string', description: 'The next page, when there is one: <…?cursor=…>; rel="next" (RFC 8288)' },
  idempotentReplayed: { type: 'string', description: '"true" when this is the first answer to the same Idempotency-Key, given again' },
  contentRange: { type: 'string', description: 'The bytes sent of the whole file: bytes 0-1048575/5242880 (416: bytes */5242880)' },
  acceptRanges: { type: 'string', description: 'bytes: a download resumes with Range' },
  contentDisposition: { type: 'string', description: 'attachment; filename="…"' },
  digest: { type: 'string', description: 'sha-256=<base64 of the SHA-256 of the whole file>' },
  rateLimit: { type: 'integer', description: 'Calls a minute this caller may make' },
  rateRemaining: { type: 'integer', description: 'Calls left in this minute' },
  rateReset: { type: 'integer', description: 'Seconds until the count starts again' },
  wwwAuthenticate: { type: 'string', description: 'How to authenticate: Bearer (with error="invalid_token" for a refused token)' },
  requestId: { type: 'string', description: 'The id of this call in the logs: the X-Request-Id sent (if well formed), else a new one' },
} as const satisfies Headers;

/** The answers of one status: a JSON body, with its example. */
export function json<T extends TSchema>(schema: T, description: string, options: { example?: unknown; headers?: Headers } = {}) {
  return {
    description,
    ...(options.headers ? { headers: options.headers } : {}),
    content: { 'application/json': { schema, ...(options.example === undefined ? {} : { example: options.example }) } },
  };
}

/** A request body (or any schema) with the example the document shows for it. */
export function withExample<T extends TSchema>(schema: T, example: unknown): T {
  return { ...schema, examples: [example] };
}

/**
 * A body of any media type that the route reads as a stream (an upload): stated for the document
 * only, since fastify would validate the stream against it (the transform below makes it the body).
 */
export function rawBody(description: string) {
  return { rawBody: { description, content: { '*/*': { schema: Binary } } } };
}

/** An answer without a body (204, 304). */
export function empty(description: string, headers?: Headers) {
  return { ...Type.Null({ description }), ...(headers ? { headers } : {}) };
}

/** Bytes of any media type: a file, a range of one, a page of a report. */
export const Binary = Type.Unsafe<unknown>({ type: 'string', format: 'binary' });

/** An answer of the given media types, each as bytes (`application/zip`) or a schema of its own, with an example per type where it helps. */
export function content<M extends Record<string, TSchema>>(
  description: string,
  media: M,
  options: { headers?: Headers; examples?: { [K in keyof M]?: unknown } } = {},
) {
  const byType = Object.fromEntries(
    Object.entries(media).map(([type, schema]) => {
      const example = options.examples?.[type];
      return [type, { schema, ...(example === undefined ? {} : { example }) }];
    }),
  ) as { [K in keyof M]: { schema: M[K]; example?: unknown } };
  return { description, ...(options.headers ? { headers: options.headers } : {}), content: byType };
}

const PROBLEMS: Record<number, string> = {
  400: 'The request is malformed: its query, headers or body (`errors` names each field)',
  401: 'No valid credentials (WWW-Authenticate says how to authenticate)',
  403: "The caller's role lacks the permission this operation needs",
  404: 'No such resource for this caller',
  409: 'The resource is not in a state that allows this',
  410: 'Gone: the result expired or was erased, or the link expired',
  413: 'The body is larger than the server takes',
  415: 'The body is not application/json',
  416: 'The range asked for is outside the file (Content-Range says its size)',
  422: 'Understood but refused: see the problem type',
  429: 'Too many calls a minute for this caller (Retry-After says when to call again)',
  503: 'A dependency (Postgres, Redis) is down (Retry-After says when to call again)',
};

const PROBLEM_HEADERS: Record<number, Headers> = {
  401: { 'WWW-Authenticate': responseHeader.wwwAuthenticate },
  409: { 'Retry-After': responseHeader.retryInUse },
  416: { 'Content-Range': responseHeader.contentRange },
  429: { 'Retry-After': responseHeader.retryAfter },
  503: { 'Retry-After': responseHeader.retryAfter },
};

/** A problem+json (RFC 9457) answer of one status. */
export function problem(status: number, description = PROBLEMS[status] ?? 'See the problem type') {
  const headers = PROBLEM_HEADERS[status];
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/problem+json': { schema: ref(Problem) } },
  };
}

/** The problem+json answers of the given statuses. */
export function problems(...statuses: number[]): Record<number, ReturnType<typeof problem>> {
  return Object.fromEntries(statuses.map((status) => [status, problem(status)]));
}

/** Adds problem answers a layer in front of the route gives, keeping what the route declared itself. */
export function declareProblems(route: RouteOptions, statuses: number[]): void {
  if (statuses.length === 0) return;
  const schema = route.schema ?? {};
  const response = (schema.response ?? {}) as Record<string, unknown>;
  const added = Object.fromEntries(statuses.filter((status) => response[status] === undefined).map((status) => [status, problem(status)]));
  route.schema = { ...schema, response: { ...response, ...added } };
}

type Answers = Record<string, { headers?: Headers }>;

function withHeaders(response: Answers, headers: Headers, statuses: (status: string) => boolean): Answers {
  const marked = Object.entries(response).map(([status, answer]) =>
    statuses(status) ? [status, { ...answer, headers: { ...answer.headers, ...headers } }] : [status, answer],
  );
  return Object.fromEntries(marked);
}

/** Adds headers a layer sends to the route's answers of the statuses chosen (e.g. every 2xx). */
export function declareHeaders(route: RouteOptions, headers: Headers, statuses: (status: string) => boolean): void {
  const schema = route.schema ?? {};
  route.schema = { ...schema, response: withHeaders((schema.response ?? {}) as Answers, headers, statuses) };
}

/** What fastify refuses before the handler runs, from what the route validates. */
export function validationProblems(route: RouteOptions): number[] {
  const schema = route.schema ?? {};
  const statuses: number[] = [];
  if (schema.body) statuses.push(400, 413, 415);
  // Headers are declared where a layer checks them (idempotency-keys.ts): a Range is only ever a string.
  else if (schema.querystring) statuses.push(400);
  // A path parameter that breaks its schema names no resource: 404 (problems.ts).
  if (schema.params) statuses.push(404);
  return statuses;
}

const TAGS = [
  { name: 'requests', description: 'Data subject requests: open, list, read, cancel, extend, retry' },
  { name: 'review', description: "An agent's decisions: approve or reject a request, ask the subject for more, release a result" },
  { name: 'manual tasks', description: 'Features answered by hand: a support agent supplies the data or confirms the erasure' },
  { name: 'delivery', description: 'Results: the zip, the report online, the erasure receipt, links for the subject and the download log' },
  { name: 'audit', description: 'Who did what and when: per request and for the tenant' },
  { name: 'webhooks', description: "Request events POSTed to the tenant's endpoints, signed; the delivery log and replays" },
  { name: 'configuration', description: "The tenant's features, adapters, shared-data policy, approval settings and notice to subjects" },
  { name: 'keys', description: "The tenant's API keys (admins)" },
  { name: 'records', description: "Requests' records, kept 24 months after they ended, and the yearly figures (CCPA §§ 7101-7102)" },
  { name: 'catalogue', description: 'The disclosure catalogue the answers are built from' },
  { name: 'health', description: 'Liveness and readiness probes for a load balancer or orchestrator' },
  { name: 'operations', description: "The deployment's metrics for its operators" },
];

/**
 * OpenAPI paths cannot name a wildcard (`{*}`): the rest of the path is the parameter `path` there
 * (slashes included, as a client sends them, encoded or not).
 */
function namedWildcard(url: string, schema: Record<string, unknown>) {
  if (!url.endsWith('*') || !schema.params) return { url, schema };
  const params = schema.params as { properties: Record<string, unknown>; required?: string[] };
  const { '*': rest, ...others } = params.properties;
  return {
    url: `${url.slice(0, -1)}:path`,
    schema: { ...schema, params: { ...params, properties: { ...others, path: rest }, required: [...Object.keys(others), 'path'] } },
  };
}

/** The request body of an upload (rawBody above), for the document. */
function withRawBody(schema: Record<string, unknown>) {
  const { rawBody: body, ...rest } = schema;
  return body ? { ...rest, body } : schema;
}

/** A query parameter with a default is not required: validation fills it in (`limit`). */
function defaultsOptional(schema: Record<string, unknown>) {
  const query = schema.querystring as { properties?: Record<string, { default?: unknown }>; required?: string[] } | undefined;
  if (!query?.properties || !query.required) return schema;
  const required = query.required.filter((name) => query.properties?.[name]?.default === undefined);
  return { ...schema, querystring: { ...query, required } };
}

/** Every answer names its call (X-Request-Id, http/request-id.ts). */
function withRequestId(schema: Record<string, unknown>) {
  const response = schema.response as Answers | undefined;
  return response ? { ...schema, response: withHeaders(response, { 'X-Request-Id': responseHeader.requestId }, () => true) } : schema;
}

/** @fastify/swagger's options: the frame of the document, and how routes become operations. */
export function swaggerOptions(info: { title: string; version: string; description: string }): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: { ...info, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
      servers: [
        {
          url: '{origin}',
          description: 'Where the API is deployed; by default the embedded one (`dsar up`) on http://localhost:3000',
          variables: { origin: { default: 'http://localhost:3000', description: 'Scheme, host and port of the deployment' } },
        },
      ],
      tags: TAGS,
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: "A tenant API key (dsar_…, role admin or agent), or a data subject's token from the suite's login (a JWT)",
          },
          metricsToken: { type: 'http', scheme: 'bearer', description: "The deployment's METRICS_TOKEN (its Prometheus scraper's)" },
        },
      },
    },
    // Named schemas keep their $id as their name in components.schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transform: ({ schema, url }) => {
      const named = namedWildcard(url, schema as unknown as Record<string, unknown>);
      return { url: named.url, schema: withRequestId(defaultsOptional(withRawBody(named.schema))) as unknown as typeof schema };
    },
  };
}
