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
 * A lease is this share of a caller's limit at most (and never less than one call): across H hosts the
 * calls leased and not yet spent are at most H × 1 % of the limit, the calls a caller may be refused early.
 */
const LEASE_SHARE = 100;
/** Nor more than this many calls: a larger lease saves nothing more that a load can measure. */
const MOST_A_LEASE = 100;
/** Callers whose lease one process keeps at most; the oldest is dropped first (its rest goes unspent). */
const LEASED_CALLERS = 10_000;

/** Places in a caller's count taken from Redis and not yet given to a call, valid until its window ends. */
interface Lease {
  next: number;
  last: number;
  /** When the window ends, ms since the epoch: the time the lease was asked for plus the window's rest, never after Redis' own. */
  until: number;
}

/**
 * Each call gets its own place in its caller's count, shared in Redis by every API host, before it is
 * answered, but not a round trip each: a host leases a block of places (one INCRBY, up to 1 % of the
 * caller's limit) and gives them to the caller's next calls in turn. No call is ever let through beyond
 * the limit, since every place is counted in Redis before it is given; what a host has leased and not
 * spent when the window ends (or when another host fills the count first) is lost, so a caller calling
 * through several hosts may be refused up to a lease per host early. The calls that arrive while a lease
 * is on the way wait for it (one round trip for all of them). Nothing waits for a timer. When Redis fails,
 * the calls waiting for the failed lease fail with it rather than wait for Redis again.
 */
class CallCounts {
  private readonly redis: CountingRedis;
  private readonly leases = new Map<string, Lease>();
  /** The callers whose lease is on the way from Redis, with the calls that came meanwhile. */
  private readonly busy = new Map<string, Counted[]>();

  constructor(
    redis: RedisClient,
    private readonly prefix: string,
  ) {
    if (!('addCalls' in redis)) redis.defineCommand('addCalls', { numberOfKeys: 1, lua: ADD_CALLS });
    this.redis = redis as CountingRedis;
  }

  incr(key: string, done: Counted, windowMs: number, max: number): void {
    const waiting = this.busy.get(key);
    if (waiting) waiting.push(done);
    else if (!this.spend(key, done)) this.lease(key, [done], windowMs, max);
  }

  /** Gives the call the lease's next place, if the lease has one left and its window is still open. */
  private spend(key: string, done: Counted): boolean {
    const lease = this.leases.get(key);
    if (!lease) return false;
    const ttl = lease.until - Date.now();
    if (ttl <= 0 || lease.next > lease.last) {
      this.leases.delete(key);
      return false;
    }
    done(null, { current: lease.next++, ttl });
    return true;
  }

  private lease(key: string, batch: Counted[], windowMs: number, max: number): void {
    this.busy.set(key, []);
    const size = Math.max(batch.length, Math.min(MOST_A_LEASE, Math.floor(max / LEASE_SHARE)));
    const asked = Date.now();
    this.redis.addCalls(this.prefix + key, windowMs, size).then(
      ([current, ttl]) => {
        const waiting = [...batch, ...(this.busy.get(key) ?? [])];
        this.busy.delete(key);
        const lease: Lease = { next: current - size + 1, last: current, until: asked + ttl };
        this.leases.delete(key);
        this.leases.set(key, lease);
        if (this.leases.size > LEASED_CALLERS) this.leases.delete(this.leases.keys().next().value as string);
        // In arrival order; the batch's own places are its calls' even if the window has just ended.
        for (const done of batch) done(null, { current: lease.next++, ttl });
        const rest = waiting.slice(batch.length).filter((done) => !this.spend(key, done));
        if (rest.length > 0) this.lease(key, rest, windowMs, max);
      },
      (err: Error) => {
        const waiting = [...batch, ...(this.busy.get(key) ?? [])];
        this.busy.delete(key);
        for (const done of waiting) done(err);
      },
    );
  }
}
