import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { RedisClient } from '../queue/redis.js';
import { AppError } from '../errors.js';
import { declareHeaders, declareProblems, responseHeader } from '../http/openapi.js';

export interface RateLimits {
  /** Calls a minute for each API key. */
  perKey: number;
  /** Calls a minute for each data subject. */
  perSubject: number;
}

/**
 * Calls a minute per API key and per data subject, counted in Redis so that every API host shares
 * the count. Registered after the auth hook: the caller is known when a route's limit is checked.
 */
export async function limitRate(scope: FastifyInstance, redis: RedisClient, nameSpace: string, limits: RateLimits): Promise<void> {
  scope.addHook('onRoute', (route) => {
    declareProblems(route, [429]);
    const counts = { 'X-RateLimit-Limit': responseHeader.rateLimit, 'X-RateLimit-Remaining': responseHeader.rateRemaining, 'X-RateLimit-Reset': responseHeader.rateReset };
    declareHeaders(route, counts, (status) => status.startsWith('2') || status === '429');
  });
  const calls = new CallCounts(redis, nameSpace);
  await scope.register(rateLimit, {
    store: class {
      incr = calls.incr.bind(calls);
      child(): FastifyRateLimitStore {
        return this;
      }
    },
    // Redis down: calls go uncounted rather than refused, so that a request can still be taken (Postgres
    // keeps it `received`; the reconciler enqueues it) and read; the connection fails fast (queue/flow.ts).
    skipOnError: true,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => {
      const p = request.principal;
      return p.kind === 'api_key' ? `key:${p.keyId}` : `subject:${p.tenantId}:${p.subjectId}`;
    },
    max: (request: FastifyRequest) => (request.principal.kind === 'api_key' ? limits.perKey : limits.perSubject),
    errorResponseBuilder: (_request, context) =>
      new AppError(429, 'rate-limited', 'Too many requests', `At most ${context.max} calls a minute; retry in ${context.after}`),
  });
}

interface Count {
  current: number;
  ttl: number;
}
type Counted = (error: Error | null, count?: Count) => void;

/** Adds ARGV[2] calls to a caller's count, whose window (ARGV[1] ms) starts with its first call; answers the count and the window's rest. */
const ADD_CALLS = `
local current = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if current == tonumber(ARGV[2]) or ttl < 0 then
  ttl = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {current, ttl}`;

type CountingRedis = RedisClient & { addCalls(key: string, windowMs: number, calls: number): Promise<[number, number]> };

/**
 * Each call is counted in Redis before it is answered, as exactly as one INCR a call would count it, but
 * the calls of a caller that arrive while its count is on the way to Redis go together in the next round
 * trip (one INCRBY for all of them): under load a caller's calls cost a round trip a batch, not each.
 * Nothing waits for a timer: a call alone goes at once. When Redis fails, the calls waiting behind the
 * failed one fail with it rather than wait for Redis again.
 */
class CallCounts {
  private readonly redis: CountingRedis;
  /** The callers whose count is on the way to Redis, with the calls that came meanwhile. */
  private readonly busy = new Map<string, Counted[]>();

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
  ) {
    if (!('addCalls' in redis)) redis.defineCommand('addCalls', { numberOfKeys: 1, lua: ADD_CALLS });
    this.redis = redis as CountingRedis;
  }

  incr(key: string, done: Counted, windowMs: number): void {
    const waiting = this.busy.get(key);
    if (waiting) waiting.push(done);
    else this.send(key, [done], windowMs);
  }

  private send(key: string, batch: Counted[], windowMs: number): void {
    this.busy.set(key, []);
    this.redis.addCalls(this.prefix + key, windowMs, batch.length).then(
      ([current, ttl]) => {
        // In arrival order: the first of the batch is the earliest count.
        for (const [i, done] of batch.entries()) done(null, { current: current - batch.length + 1 + i, ttl });
        const next = this.busy.get(key) ?? [];
        if (next.length > 0) this.send(key, next, windowMs);
        else this.busy.delete(key);
      },
      (err: Error) => {
        const next = this.busy.get(key) ?? [];
        this.busy.delete(key);
        for (const done of [...batch, ...next]) done(err);
      },
    );
  }
}
