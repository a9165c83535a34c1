import type { RedisClient } from './redis.js';

/**
 * A worker's claim on each job it runs: a short-lived key, renewed while the job runs. Unlike
 * BullMQ's own job lock, a renewal writes the key again after Redis lost it (a flush, a restart
 * without persistence, a failover), so within one renewal (CLAIM_RENEW_MS) of such a loss every job
 * still running is claimed again. The reconciler leaves a request alone while one of its jobs is claimed.
 */
export class JobClaims {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    /** How often a running job's claim is written again; a claim lives three renewals. */
    private readonly renewMs: number,
  ) {}

  /**
   * How long a job found lost (and unclaimed) must stay so before it counts as lost: a worker running it
   * writes its claim again within one renewal, so two renewals apart is a look that would have seen it.
   */
  get lostAfterMs(): number {
    return 2 * this.renewMs;
  }

  /** Runs the job's work while holding its claim. */
  async hold<T>(jobId: string, work: () => Promise<T>): Promise<T> {
    const key = this.key(jobId);
    // Not awaited: the job's work does not wait for Redis; a claim that failed is written again at the next renewal.
    const renew = () => void this.redis.set(key, '1', 'PX', 3 * this.renewMs).catch(() => {});
    renew();
    const timer = setInterval(renew, this.renewMs);
    try {
      return await work();
    } finally {
      clearInterval(timer);
      await this.redis.del(key).catch(() => {});
    }
  }

  /** Whether a worker runs one of these jobs now. */
  async anyHeld(jobIds: readonly string[]): Promise<boolean> {
    if (jobIds.length === 0) return false;
    return (await this.redis.exists(...jobIds.map((id) => this.key(id)))) > 0;
  }

  private key(jobId: string): string {
    return `${this.prefix}:claim:${jobId}`;
  }
}
