import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/** A connection to Redis: one server, or a Redis Cluster (REDIS_CLUSTER=true). */
export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  url: string;
  /** The URL names one node of a Redis Cluster; the others are found from it. */
  cluster: boolean;
}

/**
 * The connection the API (and the worker's own calls: claims, the reconciler) share. While Redis is
 * down a command waits for the next reconnection attempt only (at most ~2 s, ioredis' retry delay)
 * and then fails: an API call answers 503, or keeps a new request `received` for the reconciler,
 * instead of hanging. Lazy: nothing connects until the first command, so `dsar openapi` needs no Redis.
 */
export function redisConnection(target: RedisTarget, log: Logger): RedisClient {
  return reportOutages(connectRedis(target, { maxRetriesPerRequest: 0, enableReadyCheck: true, lazyConnect: true }), log);
}

/** BullMQ workers block on Redis: their connection retries without a per-command limit. */
export function workerConnection(redis: RedisClient, log: Logger): RedisClient {
  const copy =
    redis instanceof Cluster
      ? redis.duplicate(undefined, { redisOptions: { ...redis.options.redisOptions, maxRetriesPerRequest: null } })
      : redis.duplicate({ maxRetriesPerRequest: null });
  return reportOutages(copy, log);
}

/**
 * A cluster's keys are spread over its nodes by hash slot; every key of the queue carries the
 * hash-tagged QUEUE_PREFIX (`{dsar}`), so a flow's jobs, its scripts' keys and the worker's own keys
 * (claims, feature slots, the reconciler's lease) share one slot, as BullMQ's scripts need.
 */
export function connectRedis(target: RedisTarget, options: RedisOptions): RedisClient {
  if (!target.cluster) return new Redis(target.url, options);
  const url = new URL(target.url);
  const { lazyConnect, enableReadyCheck, ...perNode } = options;
  return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
    lazyConnect,
    enableReadyCheck,
    // A busy host answers CLUSTER SLOTS late; ioredis' 1 s gave up on a loaded 2-core machine.
    slotsRefreshTimeout: 5_000,
    redisOptions: {
      ...perNode,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  });
}

/**
 * ioredis reconnects by itself, and without a listener prints the stack of every failed attempt (one
 * every 2 s while Redis is down). Said once when Redis goes, once when it is back; no addresses.
 */
function reportOutages(redis: RedisClient, log: Logger): RedisClient {
  let down = false;
  redis.on('error', (err: Error & { code?: string }) => {
    if (!down) log.warn({ error: err.name, code: err.code }, 'Redis unavailable: reconnecting');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('Redis available again');
    down = false;
  });
  return redis;
}
