import { randomBytes } from 'node:crypto';
import { FlowProducer, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { openSql } from '../src/db/client.js';
import { request, percentile, startSystem, type System } from './system.js';

/**
 * Small requests, submit → completed (issue 17, item 1): access for alice and export for bob of the
 * demo tenant, one after another, on `dsar up`. The headline is the server's time from `createdAt` to
 * the trail's `completed` event (the closing transaction: from then on the request reads completed);
 * beside it `completedAt - createdAt` (stamped as the assembly starts building) and the client's
 * (POST sent → a GET saw it completed, polling every POLL_MS), and the CPU `dsar up` used per
 * request (its `process_cpu_seconds_total` before and after, polling included).
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
  /** createdAt → completedAt. */
  server: number;
  /** createdAt → the trail's `completed` event; read after the runs. */
  closed?: number;
  client: number;
  post: number;
}

const METRICS_TOKEN = randomBytes(24).toString('base64url');

/** The CPU `dsar up` has used so far, from its own /metrics (prom-client's process metrics). */
async function cpuSeconds(system: System): Promise<number> {
  const res = await fetch(`${system.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await res.text();
  const found = /^process_cpu_seconds_total(?:\{[^}]*\})? (\S+)$/m.exec(text);
  if (!res.ok || !found) throw new Error(`GET /metrics answered ${res.status} without process_cpu_seconds_total`);
  return Number(found[1]);
}

/** Runs `count` requests one after another; their timings and the CPU per request, in ms. */
async function series(system: System, type: string, accountId: string, count: number): Promise<{ timings: Timing[]; cpuMs: number }> {
  const before = await cpuSeconds(system);
  const timings: Timing[] = [];
  for (let i = 0; i < count; i++) timings.push(await once(system, type, accountId));
  const cpuMs = (((await cpuSeconds(system)) - before) * 1000) / count;
  return { timings, cpuMs };
}

/** createdAt → the trail's `completed` event, for each timing. */
async function closingTimes(system: System, timings: Timing[]): Promise<void> {
  const sql = openSql(system.urls.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    for (const timing of timings) {
      const [row] = await sql<{ ms: number }[]>`
        select extract(epoch from (e.at - r.created_at)) * 1000 as ms
        from requests r join audit_events e on e.request_id = r.id and e.feature is null and e.kind = 'completed'
        where r.id = ${timing.id}`;
      if (!row) throw new Error(`request ${timing.id} has no completed event`);
      timing.closed = Number(row.ms);
    }
  } finally {
    await sql.end();
  }
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
  const sql = openSql(system.urls.databaseUrl, { max: 1, onnotice: () => {} });
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
  const system = await startSystem({ RATE_LIMIT_PER_MINUTE: '1000000', METRICS_TOKEN });
  try {
    // The first requests warm the connection pools and the JIT; the worker's start-up purge settles.
    for (let i = 0; i < 3; i++) await once(system, 'access', 'alice');
    const access = await series(system, 'access', 'alice', RUNS);
    const steps = await breakdown(system, access.timings);
    const exports = await series(system, 'export', 'bob', RUNS);
    const results = { access, export: exports };
    for (const { timings } of Object.values(results)) await closingTimes(system, timings);
    const baseline = await bareFlow(system.urls.redisUrl);
    console.log(`\n# latency: ${RUNS} requests each, one after another, on dsar up\n`);
    console.log('| | median | p90 |\n| --- | ---: | ---: |');
    for (const type of ['access', 'export'] as const) {
      const { timings } = results[type];
      console.log(row(`**${type}, submit → completed** (createdAt → the trail's \`completed\`: the closing transaction)`, timings.map((t) => t.closed ?? Number.NaN)));
      console.log(row(`${type}, createdAt → completedAt (stamped as the assembly starts building)`, timings.map((t) => t.server)));
      console.log(row(`${type}, client (POST → GET sees completed, polling ${POLL_MS} ms)`, timings.map((t) => t.client)));
    }
    console.log(row('baseline: bare BullMQ flow, 19 no-op children + parent', baseline));
    const ratio = percentile(access.timings.map((t) => t.closed ?? Number.NaN), 50) / percentile(baseline, 50);
    console.log(`\naccess submit → completed, median / baseline median: ${ratio.toFixed(1)}×`);
    console.log(`CPU of dsar up per request (process_cpu_seconds_total, polling included): access ${access.cpuMs.toFixed(0)} ms, export ${exports.cpuMs.toFixed(0)} ms`);
    console.log('\n## where an access request\'s time goes (ms after createdAt; the POST from the client\'s send)\n');
    console.log('| step | median | p90 |\n| --- | ---: | ---: |');
    for (const [step, values] of steps) console.log(row(step, values));
  } finally {
    await system.stop();
  }
}

await main();
