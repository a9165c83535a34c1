import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, pipeline } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendAsyncHookHandler, preHandlerAsyncHookHandler, RouteOptions } from 'fastify';
import Type, { type TSchema } from 'typebox';
import { AppError, loggableError } from '../errors.js';
import { declareHeaders, declareProblems, responseHeader } from '../http/openapi.js';
import { addRouteHook } from '../http/route-hooks.js';
import type { Principal } from '../auth/principal.js';
import { type HeldKey, type IdempotencyStore, KEY_TTL_HOURS, type StoredAnswer } from './idempotency-store.js';

/**
 * `Idempotency-Key` on every POST of the scope: a retry with the key and the same request (method,
 * path, query and body) gets the first answer again, with `Idempotent-Replayed: true`, instead of doing
 * the work twice; the key with another request is 422. Keys are the caller's own (an API key's, or a
 * data subject's) and kept 24 hours in Postgres.
 *
 * What is kept: answers the handler gave, 2xx and 4xx (a 404 or 409 is an answer too, as Stripe keeps
 * them). Not kept: 5xx (a retry runs again), and what never reached the handler: sign-in, rate limit and
 * validation errors, so a corrected body may use the key. A second call while the first runs gets 409
 * `idempotency-key-in-use` with Retry-After, rather than waiting on it.
 *
 * A JSON body is compared in a canonical form (keys sorted, no whitespace); an upload's raw bytes are
 * hashed as the handler reads them, and a retried upload is read through to compare its bytes. An
 * answer given before an upload was read through (e.g. 404) is not kept.
 */

const HEADER = 'idempotency-key';
/** What a replay repeats besides the body: the same media type, the same Location, the same request id. */
const KEPT_HEADERS = ['content-type', 'location', 'x-request-id'];

const KeyHeader = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[\\x20-\\x7e]+$',
  description:
    `Makes a retry of this call safe: the same key with the same request within ${KEY_TTL_HOURS} hours answers the first ` +
    'response again (status, body, X-Request-Id; with `Idempotent-Replayed: true`); the key with another request is 422, ' +
    'and while the first call runs, 409. Keys are per caller; a UUID is a good one.',
});

const keyInUse = () =>
  new AppError(409, 'idempotency-key-in-use', 'Conflict', 'A call with this Idempotency-Key is still running; retry shortly');
const keyReused = () =>
  new AppError(422, 'idempotency-key-reused', 'Idempotency key reused', 'This Idempotency-Key was used for another request');

declare module 'fastify' {
  interface FastifyRequest {
    /** The key this call claimed, answered in onSend. */
    idempotency?: { held: HeldKey; fingerprint: string | null; upload?: UploadDigest };
  }
}

function callerOf(principal: Principal): string {
  return principal.kind === 'api_key' ? `api_key:${principal.keyId}` : `subject:${principal.subjectId}`;
}

/** JSON with its keys sorted: the same body however it was written. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? '';
}

const requestLine = (request: FastifyRequest) => `${request.method} ${request.url}\n`;

/** The SHA-256 of an upload's bytes, taken as they are read. */
class UploadDigest {
  private readonly hash: Hash;
  private complete = false;

  constructor(request: FastifyRequest) {
    this.hash = createHash('sha256').update(`${requestLine(request)}${request.headers['content-type'] ?? ''}\n`);
  }

  /** The body, hashed as the handler reads it (an error of the source reaches the reader). */
  through(body: Readable): Readable {
    const hashing = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.hash.update(chunk);
        done(null, chunk);
      },
      flush: (done) => {
        this.complete = true;
        done();
      },
    });
    pipeline(body, hashing, () => {});
    return hashing;
  }

  /** Reads a retried upload through, for its digest only. */
  async drain(body: Readable): Promise<string> {
    for await (const chunk of body) this.hash.update(chunk as Buffer);
    return this.hash.digest('hex');
  }

  /** The digest once every byte was read; null if the handler answered before. */
  result(): string | null {
    return this.complete ? this.hash.digest('hex') : null;
  }
}

function replay(reply: FastifyReply, answer: StoredAnswer): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).header('idempotent-replayed', 'true').send(answer.body);
}

function keptHeaders(reply: FastifyReply): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = reply.getHeader(name);
    if (value !== undefined) kept[name] = String(value);
  }
  return kept;
}

/**
 * The header in each POST's schema: validated (400 when malformed) and documented in the OpenAPI, with
 * its answers (409 in use, 422 reused) and the mark of a replayed success.
 */
function declareHeader(route: RouteOptions): void {
  const schema = route.schema ?? {};
  const headers = (schema.headers ?? Type.Object({})) as { properties?: Record<string, TSchema> };
  route.schema = { ...schema, headers: { ...headers, type: 'object', properties: { ...headers.properties, [HEADER]: KeyHeader } } };
  declareProblems(route, [400, 409, 422]);
  declareHeaders(route, { 'Idempotent-Replayed': responseHeader.idempotentReplayed }, (status) => status.startsWith('2'));
}

export function registerIdempotency(scope: FastifyInstance, store: IdempotencyStore): void {
  scope.decorateRequest('idempotency');
  // After sign-in and validation (preHandler): only calls the handler will run claim a key.
  const claimKey: preHandlerAsyncHookHandler = async (request, reply) => {
    const key = request.headers[HEADER];
    if (typeof key !== 'string') return;
    const keyScope = { tenantId: request.principal.tenantId, caller: callerOf(request.principal), key };
    const upload = request.body instanceof Readable ? new UploadDigest(request) : undefined;
    const fingerprint = upload ? null : createHash('sha256').update(requestLine(request)).update(canonical(request.body)).digest('hex');
    const claim = await store.claim(keyScope, fingerprint);
    if (claim.kind === 'in-use') {
      reply.header('retry-after', '1');
      throw keyInUse();
    }
    if (claim.kind === 'claimed') {
      if (upload) request.body = upload.through(request.body as Readable);
      request.idempotency = { held: claim.held, fingerprint, upload };
      return;
    }
    const given = upload ? await upload.drain(request.body as Readable) : fingerprint;
    if (given !== claim.answer.fingerprint) throw keyReused();
    return replay(reply, claim.answer);
  };

  const recordAnswer: onSendAsyncHookHandler = async (request, reply, payload) => {
    const held = request.idempotency;
    if (!held) return payload;
    request.idempotency = undefined;
    const fingerprint = held.upload ? held.upload.result() : held.fingerprint;
    try {
      if (reply.statusCode >= 500 || typeof payload !== 'string' || fingerprint === null) await store.release(held.held);
      else await store.answer(held.held, { status: reply.statusCode, headers: keptHeaders(reply), body: payload, fingerprint });
    } catch (error) {
      // The call's answer still goes out; its key stays in use until it is taken over as abandoned.
      request.log.error(loggableError(error), 'idempotency key not recorded');
    }
    return payload;
  };

  // The hooks run on POST routes only: the other calls (a polled GET) need not pass through them.
  scope.addHook('onRoute', (route) => {
    if (![route.method].flat().includes('POST')) return;
    declareHeader(route);
    addRouteHook(route, 'preHandler', claimKey);
    addRouteHook(route, 'onSend', recordAnswer);
  });
}
