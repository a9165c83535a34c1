import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis.js';

/**
 * Work that one process of the deployment does at a time (the reconciler's passes): a key holding the
 * holder's id, taken when free and kept by renewing it. A holder that stops lets it lapse, and another
 * takes it over; a flushed Redis frees it, and the next process to ask holds it.
 */
const TAKE_OR_RENEW = `
local holder = redis.call('get', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

export class Lease {
  private readonly id = randomUUID();

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly livesMs: number,
  ) {}

  /** Whether this process holds the lease (taking it if free, renewing it if held). */
  async hold(): Promise<boolean> {
    return (await this.redis.eval(TAKE_OR_RENEW, 1, this.key, this.id, this.livesMs)) === 1;
  }

  /** Gives the lease up (on close), so another process takes it without waiting for it to lapse. */
  async release(): Promise<void> {
    await this.redis.eval(`if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end return 0`, 1, this.key, this.id);
  }
}
