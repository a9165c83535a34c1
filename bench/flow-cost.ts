import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { RequestFlow } from '../src/queue/flow.js';
import { redisConnection } from '../src/queue/redis.js';

/**
 * What handing a POST's request to the queue costs (bench/README.md, API), against a Redis of its own:
 * `STEP=plan`, `RequestFlow.plan` of batches of new requests (one job a request, as src/requests/hand-over.ts
 * sends them); by default `RequestFlow.enqueueFresh` of the same (a flow of 20 jobs a request with 19 features,
 * as a plan job adds it in the worker). Prints, per batch size, the wall time, this process's CPU and
 * Redis' own time (INFO commandstats), each per request.
 *
 *   redis-server --port 6399 --save '' --daemonize yes
 *   REDIS_URL=redis://127.0.0.1:6399 STEP=plan node --import tsx bench/flow-cost.ts
 */

const FEATURES = Array.from({ length: 19 }, (_, i) => `feature-${i}`);
const BATCHES = [1, 10, 20, 50, 100];
const ROUNDS = 5;
const STEP = process.env.STEP ?? 'flow';

const redis = redisConnection({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6399', cluster: false }, pino({ level: 'silent' }));
const flow = new RequestFlow(redis, { prefix: `{flow-cost-${randomUUID().slice(0, 8)}}`, attempts: 3, backoffMs: 1000 });

async function redisUsec(): Promise<number> {
  const stats = await redis.info('commandstats');
  return [...stats.matchAll(/^cmdstat_[a-z|]+:calls=\d+,usec=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function round(size: number): Promise<{ wall: number; cpu: number; redis: number }> {
  const flows = Array.from({ length: size }, () => ({ requestId: randomUUID(), features: FEATURES }));
  const redis0 = await redisUsec();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await (STEP === 'plan' ? flow.plan(flows.map((f) => f.requestId)) : flow.enqueueFresh(flows));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall: wall / size, cpu: (cpu.user + cpu.system) / 1000 / size, redis: ((await redisUsec()) - redis0) / 1000 / size };
}

await round(100); // warm-up: scripts loaded, code compiled
console.log('| requests a batch | wall ms a request | node CPU ms a request | Redis ms a request |');
console.log('| ---: | ---: | ---: | ---: |');
for (const size of BATCHES) {
  const runs: Array<{ wall: number; cpu: number; redis: number }> = [];
  for (let i = 0; i < ROUNDS; i++) runs.push(await round(size));
  const median = (pick: (r: (typeof runs)[number]) => number) => runs.map(pick).sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] as number;
  console.log(`| ${size} | ${median((r) => r.wall).toFixed(2)} | ${median((r) => r.cpu).toFixed(2)} | ${median((r) => r.redis).toFixed(2)} |`);
}
await flow.close();
redis.disconnect();
