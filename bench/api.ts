import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { openSql, type Sql } from '../src/db/client.js';
import { freePort } from '../src/embedded/ports.js';
import { cpuMs, request, startApi, stopChild, upWhen } from './system.js';

/**
 * The API near bare fastify (issue 17, item 2): autocannon against `POST /v1/requests` and
 * `GET /v1/requests/{id}` of `dsar api` (no worker: what POST enqueues stays queued), and against a bare
 * fastify server (bench/bare-api.ts, also a child process) doing the same INSERTs and SELECTs through
 * postgres.js on the same Postgres, in the same run. Each cell runs both targets, the one first that
 * went second in the cell before. Every POST names a new subject, so each one writes a request. Each
 * server's CPU per call (from /proc, over the run and the wait after it) is less at the mercy of a shared
 * machine than the rates are.
 *
 *   npm run bench:api                      # 10 s a run, 50 and 200 connections
 *   DURATION=3 CONNECTIONS=50 METHODS=GET npm run bench:api
 *   API_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench:api   # profile the API process
 */

const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = (process.env.CONNECTIONS ?? '50,200').split(',').map(Number);
const METHODS = (process.env.METHODS ?? 'POST,GET').split(',') as Array<'POST' | 'GET'>;
const WARMUP_S = 2;
const VERIFICATION = { method: 'sso', note: 'benchmark' };

interface Target {
  name: string;
  /** The server's process, whose CPU is read around each run. */
  pid: number | undefined;
  base: string;
  headers: Record<string, string>;
  /** Where the request made beforehand is read. */
  getPath: string;
  postPath: string;
}

interface Figures {
  rate: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** The server process's CPU (user + system) per answered call, ms. */
  cpuPerCall: number;
  /** Redis' CPU per answered call, ms (only the API uses Redis). */
  redisCpuPerCall: number;
}

let subjects = 0;
let db: Sql | undefined;
let redis: Redis | undefined;

/** Redis' CPU time so far (user + system), ms, from INFO cpu. */
async function redisCpuMs(): Promise<number> {
  if (!redis) return Number.NaN;
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000;
}

/**
 * Each run starts from a clean slate: the rows a POST run wrote are vacuumed and counted (so the next
 * run's plans and visibility checks do not pay for them), and their WAL is written out by a checkpoint
 * (so that it does not land in the next run). Without this the bare GET ran at a fifth of its rate
 * right after its own POST run.
 */
async function cleanSlate(): Promise<void> {
  if (!db) return;
  await db`vacuum analyze requests, tasks, audit_events, webhook_deliveries`;
  await db`checkpoint`;
}

async function cannon(target: Target, method: 'GET' | 'POST', connections: number, duration: number): Promise<Figures> {
  const run = method === 'GET' ? { method, path: target.getPath } : { method, path: target.postPath };
  const cpuBefore = cpuMs(target.pid);
  const redisBefore = await redisCpuMs();
  const result = await autocannon({
    url: target.base,
    connections,
    duration,
    headers: { ...target.headers, 'content-type': 'application/json' },
    requests: [
      {
        ...run,
        setupRequest: (req) =>
          method === 'GET'
            ? req
            : { ...req, body: JSON.stringify({ type: 'access', subject: { accountId: `bench-${++subjects}` }, verification: VERIFICATION }) },
      },
    ],
  });
  // What the server still works on when the clients stop would weigh on the next run: let it finish.
  await new Promise((resolve) => setTimeout(resolve, Math.max(1000, result.latency.max)));
  const cpuPerCall = (cpuMs(target.pid) - cpuBefore) / Math.max(1, result.requests.total);
  const redisCpuPerCall = ((await redisCpuMs()) - redisBefore) / Math.max(1, result.requests.total);
  await cleanSlate();
  return { rate: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors, cpuPerCall, redisCpuPerCall };
}

async function main(): Promise<void> {
  // Calls are counted against the limit as always; the limit is set above what the run makes.
  const profile: Record<string, string> = process.env.API_NODE_OPTIONS ? { NODE_OPTIONS: process.env.API_NODE_OPTIONS } : {};
  const system = await startApi({ RATE_LIMIT_PER_MINUTE: '100000000', ...profile });
  db = openSql(system.urls.databaseUrl, { max: 1, onnotice: () => {} });
  redis = new Redis(system.urls.redisUrl);
  const barePort = await freePort();
  const seed = await request(system, 'POST', '/v1/requests', { type: 'access', subject: { accountId: 'bench-seed' }, verification: VERIFICATION });
  const features = ((await (await fetch(`${system.base}/v1/requests/${seed.json.id}`, { headers: { authorization: `Bearer ${system.key}` } })).json()) as { features: string[] }).features;
  const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-api.ts'], {
    env: { ...process.env, DATABASE_URL: system.urls.databaseUrl, PORT: String(barePort), TENANT: 'acme', FEATURES: features.join(',') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await upWhen(bare, `http://127.0.0.1:${barePort}/readyz`);
    const api: Target = {
      name: 'dsar api',
      pid: system.pid,
      base: system.base,
      headers: { authorization: `Bearer ${system.key}` },
      getPath: `/v1/requests/${seed.json.id}`,
      postPath: '/v1/requests',
    };
    const baseline: Target = { name: 'bare fastify', pid: bare.pid, base: `http://127.0.0.1:${barePort}`, headers: {}, getPath: `/requests/${seed.json.id}`, postPath: '/requests' };
    for (const target of [api, baseline]) for (const method of ['GET', 'POST'] as const) await cannon(target, method, 50, WARMUP_S);

    const rows: string[] = [];
    let cell = 0;
    for (const method of METHODS) {
      for (const connections of CONNECTIONS) {
        const order = cell++ % 2 === 0 ? [api, baseline] : [baseline, api];
        const figures = new Map<Target, Figures>();
        for (const target of order) figures.set(target, await cannon(target, method, connections, DURATION));
        const a = figures.get(api) as Figures;
        const b = figures.get(baseline) as Figures;
        const failed = [a, b].some((f) => f.non2xx > 0 || f.errors > 0);
        rows.push(
          `| ${method} ${method === 'GET' ? '/v1/requests/{id}' : '/v1/requests'} | ${connections} | ${order[0]?.name} | ` +
            `${a.rate.toFixed(0)} | ${a.p50} | ${a.p99} | ${b.rate.toFixed(0)} | ${b.p50} | ${b.p99} | **${(a.rate / b.rate).toFixed(2)}** | ` +
            `${a.cpuPerCall.toFixed(3)} | ${b.cpuPerCall.toFixed(3)} | ${a.redisCpuPerCall.toFixed(3)} |` +
            (failed ? ` non-2xx/errors: api ${a.non2xx}/${a.errors}, bare ${b.non2xx}/${b.errors}` : ''),
        );
        console.error(rows.at(-1));
      }
    }
    console.log(`\n${DURATION} s a run, autocannon; rates in requests/s, latencies in ms\n`);
    console.log('| call | connections | first | api rate | api p50 | api p99 | bare rate | bare p50 | bare p99 | ratio | api CPU ms a call | bare CPU ms a call | Redis CPU ms a call (api) |');
    console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of rows) console.log(row);
  } finally {
    await stopChild(bare);
    await db.end();
    redis.disconnect();
    await system.stop();
  }
}

await main();
