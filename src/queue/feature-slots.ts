import type { RedisClient } from './redis.js';

/**
 * Per-feature concurrency (FEATURE_CONCURRENCY=im:2,clouddrive:1), to protect a slow feature store: at
 * most that many tasks of the feature run at once across every worker. A semaphore in Redis, a sorted
 * set per feature of the jobs holding a slot, each until a time renewed while it runs: a worker that
 * died frees its slots when they lapse. Redis' own clock decides, so hosts' clocks need not agree. A
 * job that finds no slot free waits a moment (delayed, which BullMQ counts as no attempt) and tries
 * again. A flushed Redis forgets the holders; their renewals (as often as the jobs' claims, CLAIM_RENEW_MS)
 * write them back within one renewal; a slot lives three.
 * (BullMQ's rate limit is per queue, its groups are BullMQ Pro: neither limits one feature's tasks.)
 */

/** Takes a slot if one is free (or the job holds it already). KEYS[1]: the feature's set; ARGV: job id, limit, lifetime. */
const TAKE = `
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0`;

/** Keeps a held slot (writing it again if Redis lost it). */
const RENEW = `
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

export class FeatureSlots {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly limits: Readonly<Record<string, number>>,
    private readonly renewMs: number,
  ) {}

  /** Runs the work holding one of the feature's slots; `false` without running it when none is free. */
  async hold(feature: string, jobId: string, work: () => Promise<void>): Promise<boolean> {
    const limit = this.limits[feature];
    if (limit === undefined) {
      await work();
      return true;
    }
    const key = this.key(feature);
    const lives = 3 * this.renewMs;
    if ((await this.redis.eval(TAKE, 1, key, jobId, limit, lives)) !== 1) return false;
    const timer = setInterval(() => void this.redis.eval(RENEW, 1, key, jobId, lives).catch(() => {}), this.renewMs);
    try {
      await work();
      return true;
    } finally {
      clearInterval(timer);
      await this.redis.zrem(key, jobId).catch(() => {});
    }
  }

  private key(feature: string): string {
    return `${this.prefix}:feature-slots:${feature}`;
  }
}
