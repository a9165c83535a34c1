import os from 'node:os';
import type { RedisClient } from '../queue/redis.js';

/**
 * A worker's liveness, for a container health check (`dsar health worker`, run on the worker's host):
 * while its queues run, the worker renews a short-lived key named after its host in Redis. A stuck
 * event loop, a lost Redis or stopped queues let the key expire.
 */

const EVERY_MS = 5_000;
const LIVES_MS = 3 * EVERY_MS;

const heartbeatKey = (prefix: string) => `${prefix}:worker-heartbeat:${os.hostname()}`;

export function startHeartbeat(redis: RedisClient, prefix: string, isRunning: () => boolean): { stop(): Promise<void> } {
  const beat = () => (isRunning() ? redis.set(heartbeatKey(prefix), String(Date.now()), 'PX', LIVES_MS) : undefined);
  const timer = setInterval(() => void beat()?.catch(() => {}), EVERY_MS);
  timer.unref();
  void beat()?.catch(() => {});
  return {
    async stop() {
      clearInterval(timer);
      await redis.del(heartbeatKey(prefix)).catch(() => {});
    },
  };
}

export async function workerIsAlive(redis: RedisClient, prefix: string): Promise<boolean> {
  return (await redis.exists(heartbeatKey(prefix))) === 1;
}
