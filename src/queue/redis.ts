import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';
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
  const redis = reportOutages(connectRedis(target, { ...SHARED, maxRetriesPerRequest: 0 }), log);
  targets.set(redis, target);
  return redis;
}

const SHARED: RedisOptions = { enableReadyCheck: true, lazyConnect: true };
/** What each connection `redisConnection` made connects to: the worker's connect there too. */
const targets = new WeakMap<RedisClient, RedisTarget>();

/**
 * The worker's connection (its BullMQ Workers and Queues share it) and the copies BullMQ makes of it:
 * each Worker blocks on a copy of its own.
 */
export interface WorkerConnections {
  connection: RedisClient;
  /**
   * Stops each connection that waits to reconnect from trying again; whether all are stopped (or ended).
   * One attempting to connect is left to fail first: stopped then, it would end and fail the commands it
   * holds, which BullMQ 5 retries without pause while closing, and never stops (bullmq#4656 is the wait).
   */
  stop(): boolean;
}

/** BullMQ workers block on Redis: their connections retry without a per-command limit. */
export function workerConnections(redis: RedisClient, log: Logger): WorkerConnections {
  const target = targets.get(redis);
  if (!target) throw new Error('not a connection redisConnection made');
  const made = new Set<RedisClient>();
  const connection = connectRedis(target, { ...SHARED, maxRetriesPerRequest: null }, made);
  const stopped = new Set<RedisClient>();
  const stop = () => {
    for (const client of made) {
      // ioredis' disconnect() between two attempts cancels the next one; nothing ends (redis/ioredis#1247).
      if (client.status === 'reconnecting' && !stopped.has(client)) {
        client.disconnect();
        stopped.add(client);
      }
    }
    return [...made].every((client) => stopped.has(client) || client.status === 'end');
  };
  return { connection: reportOutages(connection, log), stop };
}

/** A connection whose copies are kept in `made`, with it. */
class KeptRedis extends Redis {
  constructor(
    private readonly made: Set<RedisClient>,
    ...to: [url: string, options: RedisOptions] | [options: RedisOptions]
  ) {
    super(...(to as [string, RedisOptions]));
    made.add(this);
  }

  override duplicate(override?: Partial<RedisOptions>): Redis {
    return new KeptRedis(this.made, { ...this.options, ...override });
  }
}

class KeptCluster extends Cluster {
  constructor(
    private readonly made: Set<RedisClient>,
    private readonly startNodes: ClusterNode[],
    options: ClusterOptions,
  ) {
    super(startNodes, options);
    made.add(this);
  }

  override duplicate(nodes: ClusterNode[] = [], options: ClusterOptions = {}): Cluster {
    return new KeptCluster(this.made, nodes.length > 0 ? nodes : this.startNodes, { ...this.options, ...options });
  }
}

/**
 * A cluster's keys are spread over its nodes by hash slot; every key of the queue carries the
 * hash-tagged QUEUE_PREFIX (`{dsar}`), so a flow's jobs, its scripts' keys and the worker's own keys
 * (claims, feature slots, the reconciler's lease) share one slot, as BullMQ's scripts need.
 */
export function connectRedis(target: RedisTarget, options: RedisOptions, made?: Set<RedisClient>): RedisClient {
  const url = new URL(target.url);
  if (!target.cluster) {
    return made ? new KeptRedis(made, target.url, options) : new Redis(target.url, options);
  }
  const { lazyConnect, enableReadyCheck, ...perNode } = options;
  const nodes = [{ host: url.hostname, port: Number(url.port || 6379) }];
  const clusterOptions: ClusterOptions = {
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
  };
  return made ? new KeptCluster(made, nodes, clusterOptions) : new Cluster(nodes, clusterOptions);
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
