import { FlowProducer, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { request, percentile, startSystem, type System } from './system.js';

/**
 * Small requests, submit → completed (issue 17, item 1): access for alice and export for bob of the
 * demo tenant, one after another, on `dsar up`. The time is the server's (`completedAt - createdAt`)
 * and the client's (POST sent → a GET saw it completed, polling every POLL_MS).
 * Baseline, same Redis, same minutes: a bare BullMQ flow of 19 no-op children and a parent, what the
 * queue alone costs a 19-feature request.
 * Where an access request's time goes: each step's time after createdAt, from the request's row and
 * trail (Postgres) and its jobs' timestamps (BullMQ keeps the last 1000 finished jobs of a queue, so
 * they are read before the exports run).
 */

const RUNS = Number(process.env.RUNS ?? 50);
// POLL_MS: how often a GET asks whether a request has ended (each GET costs the API, in the same process, its CPU).
const POLL_MS = Number(process.env.POLL_MS ?? 5);
const DONE = new Set(['completed', 'partially_completed', 'failed', 'cancelled', 'rejected']);
const VERIFICATION = { method: 'sso', note: 'benchmark' };

interface Timing {
  id: string;
  server: number;
  client: number;
  post: number;
}

/** BullMQ's queue prefix on `dsar up` (QUEUE_PREFIX's default). */
const PREFIX = '{dsar}';

async function once(system: System, type: string, accountId: string): Promise<Timing> {
  const started = performance.now();
  const created = await request(system, 'POST', '/v1/requests', { type, subject: { accountId }, verification: VERIFICATION });
  const post = performance.now() - started;
  for (;;) {
    const { json } = await request(system, 'GET', `/v1/requests/${created.json.id}`);
    if (DONE.has(json.status)) {
      if (json.status !== 'completed') throw new Error(`request ended ${json.status}`);
      const server = Date.parse(json.completedAt ?? '') - Date.parse(json.createdAt);
      return { id: json.id, server, client: performance.now() - started, post };
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

/** Each step of the requests, in ms after their createdAt, by step. */
async function breakdown(system: System, timings: Timing[]): Promise<Map<string, number[]>> {
  const sql = postgres(system.urls.databaseUrl, { max: 1, onnotice: () => {} });
  const redis = new Redis(system.urls.redisUrl);
  const steps = new Map<string, number[]>();
  const add = (step: string, ms: number) => steps.set(step, [...(steps.get(step) ?? []), ms]);
  try {
    for (const { id, post } of timings) {
      const [row] = await sql<{ created: Date; completed: Date }[]>`select created_at as created, completed_at as completed from requests where id = ${id}`;
      const events = await sql<{ kind: string; at: Date }[]>`select kind, at from audit_events where request_id = ${id} and feature is null order by id`;
      if (!row) throw new Error(`request ${id} not found`);
      const since = (at: number) => at - row.created.getTime();
      const assembly = await redis.hgetall(`${PREFIX}:assembly:request-${id}`);
      const features = await Promise.all(
        (await redis.keys(`${PREFIX}:feature-tasks:task-${id}-*`))
          .filter((key) => key.split(':').length === 3)
          .map((key) => redis.hgetall(key)),
      );
      if (features.length === 0 || !assembly.processedOn) throw new Error('the jobs of a request are no longer in Redis');
      add('POST answered (client)', post);
      add('flow added (its jobs created)', since(Number(assembly.timestamp)));
      add('queued (trail)', since(events.find((e) => e.kind === 'queued')?.at.getTime() ?? Number.NaN));
      add('first feature job started', since(Math.min(...features.map((j) => Number(j.processedOn)))));
      add('last feature job finished', since(Math.max(...features.map((j) => Number(j.finishedOn)))));
      add('assembly job started', since(Number(assembly.processedOn)));
      add('completedAt (stamped as the assembly starts building)', since(row.completed.getTime()));
      add('completed (trail: the closing transaction)', since(events.find((e) => e.kind === 'completed')?.at.getTime() ?? Number.NaN));
      add('assembly job finished (after its clean-up)', since(Number(assembly.finishedOn)));
    }
  } finally {
    await sql.end();
    redis.disconnect();
  }
  return steps;
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
    for (let i = 0; i < RUNS; i++) results.access.push(await once(system, 'access', 'alice'));
    const steps = await breakdown(system, results.access);
    for (let i = 0; i < RUNS; i++) results.export.push(await once(system, 'export', 'bob'));
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
    console.log('\n## where an access request\'s time goes (ms after createdAt; the POST from the client\'s send)\n');
    console.log('| step | median | p90 |\n| --- | ---: | ---: |');
    for (const [step, values] of steps) console.log(row(step, values));
  } finally {
    await system.stop();
  }
}

await main();
