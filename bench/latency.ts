import { FlowProducer, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { request, percentile, startSystem, type System } from './system.js';

/**
 * Small requests, submit → completed (issue 17, item 1): access for alice and export for bob of the
 * demo tenant, one after another, on `dsar up`. The time is the server's (`completedAt - createdAt`)
 * and the client's (POST sent → a GET saw it completed, polling every POLL_MS).
 * Baseline, same Redis, same minutes: a bare BullMQ flow of 19 no-op children and a parent, what the
 * queue alone costs a 19-feature request.
 */

const RUNS = Number(process.env.RUNS ?? 50);
const POLL_MS = 5;
const DONE = new Set(['completed', 'partially_completed', 'failed', 'cancelled', 'rejected']);
const VERIFICATION = { method: 'sso', note: 'benchmark' };

interface Timing {
  server: number;
  client: number;
}

async function once(system: System, type: string, accountId: string): Promise<Timing> {
  const started = performance.now();
  const created = await request(system, 'POST', '/v1/requests', { type, subject: { accountId }, verification: VERIFICATION });
  for (;;) {
    const { json } = await request(system, 'GET', `/v1/requests/${created.json.id}`);
    if (DONE.has(json.status)) {
      if (json.status !== 'completed') throw new Error(`request ended ${json.status}`);
      return { server: Date.parse(json.completedAt ?? '') - Date.parse(json.createdAt), client: performance.now() - started };
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function bareFlow(redisUrl: string): Promise<number[]> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const prefix = '{bench}';
  const flows = new FlowProducer({ connection, prefix });
  let done: (() => void) | undefined;
  const children = new Worker('bench-feature', async () => ({}), { connection, prefix, concurrency: 4 });
  const parent = new Worker('bench-request', async () => done?.(), { connection, prefix, concurrency: 1 });
  const times: number[] = [];
  try {
    for (let i = 0; i < RUNS + 3; i++) {
      const finished = new Promise<void>((resolve) => (done = resolve));
      const started = performance.now();
      await flows.add({
        name: 'request',
        queueName: 'bench-request',
        data: { i },
        children: Array.from({ length: 19 }, (_, f) => ({ name: 'feature', queueName: 'bench-feature', data: { f } })),
      });
      await finished;
      if (i >= 3) times.push(performance.now() - started);
    }
  } finally {
    await Promise.all([children.close(), parent.close(), flows.close()]);
    for (const name of ['bench-feature', 'bench-request']) await new Queue(name, { connection, prefix }).obliterate({ force: true });
    connection.disconnect();
  }
  return times;
}

function row(name: string, values: number[]): string {
  const median = percentile(values, 50).toFixed(0);
  const p90 = percentile(values, 90).toFixed(0);
  return `| ${name} | ${median} ms | ${p90} ms |`;
}

async function main(): Promise<void> {
  const system = await startSystem({ RATE_LIMIT_PER_MINUTE: '1000000' });
  try {
    // The first requests warm the connection pools and the JIT; the worker's start-up purge settles.
    for (let i = 0; i < 3; i++) await once(system, 'access', 'alice');
    const results: Record<'access' | 'export', Timing[]> = { access: [], export: [] };
    for (const [type, subject] of [['access', 'alice'], ['export', 'bob']] as const) {
      for (let i = 0; i < RUNS; i++) results[type].push(await once(system, type, subject));
    }
    const baseline = await bareFlow(system.urls.redisUrl);
    console.log(`\n# latency: ${RUNS} requests each, one after another, on dsar up\n`);
    console.log('| | median | p90 |\n| --- | ---: | ---: |');
    for (const type of ['access', 'export'] as const) {
      console.log(row(`${type}, server (createdAt → completedAt)`, results[type].map((t) => t.server)));
      console.log(row(`${type}, client (POST → GET sees completed, polling ${POLL_MS} ms)`, results[type].map((t) => t.client)));
    }
    console.log(row('baseline: bare BullMQ flow, 19 no-op children + parent', baseline));
    const ratio = percentile(results.access.map((t) => t.server), 50) / percentile(baseline, 50);
    console.log(`\naccess median / baseline median: ${ratio.toFixed(1)}×`);
  } finally {
    await system.stop();
  }
}

await main();
