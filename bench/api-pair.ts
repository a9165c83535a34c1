import { spawn } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../src/embedded/ports.js';
import { cpuMs, request, startApi, stopChild, upWhen } from './system.js';

/**
 * `GET /v1/requests/{id}` of two builds of the API side by side (issue 17, item 2): this checkout's `dsar api`
 * and another built checkout's (BEFORE, e.g. a worktree of the commit before a change), both on the same
 * Postgres and Redis, in turns (A B, then B A, …), so that both see the same minutes of a shared machine.
 * Each run gives the rate and each process's CPU per answered call; the medians end it. For a change too
 * small to read from bench/api.ts' rates on a loaded machine.
 *
 *   git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci && npm run build)
 *   npm run --silent build && BEFORE=/tmp/before ROUNDS=10 npx node --import tsx bench/api-pair.ts
 */

const BEFORE = path.resolve(process.env.BEFORE ?? '');
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const DURATION = Number(process.env.DURATION ?? 4);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const LIMIT = { RATE_LIMIT_PER_MINUTE: '100000000' };

interface Target {
  name: 'before' | 'after';
  pid: number | undefined;
  base: string;
}

async function main(): Promise<void> {
  if (!process.env.BEFORE) throw new Error('BEFORE names a built checkout of the code to compare with');
  const system = await startApi(LIMIT);
  const port = await freePort();
  const before = spawn(process.execPath, [path.join(BEFORE, 'dist/src/cli.js'), 'api'], {
    cwd: BEFORE,
    env: { ...process.env, DATA_DIR: system.dataDir, LOG_LEVEL: 'warn', PORT: String(port), ...LIMIT },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await upWhen(before, `http://127.0.0.1:${port}/readyz`);
    const seed = await request(system, 'POST', '/v1/requests', { type: 'access', subject: { accountId: 'pair-seed' }, verification: { method: 'sso', note: 'benchmark' } });
    const targets: Target[] = [
      { name: 'before', pid: before.pid, base: `http://127.0.0.1:${port}` },
      { name: 'after', pid: system.pid, base: system.base },
    ];
    const run = async (target: Target, duration: number) => {
      const cpuBefore = cpuMs(target.pid);
      const result = await autocannon({ url: `${target.base}/v1/requests/${seed.json.id}`, connections: CONNECTIONS, duration, headers: { authorization: `Bearer ${system.key}` } });
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (result.non2xx + result.errors > 0) throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      return { rate: result.requests.average, p99: result.latency.p99, cpu: (cpuMs(target.pid) - cpuBefore) / Math.max(1, result.requests.total) };
    };
    for (const target of targets) await run(target, 2);
    const figures = { before: [] as Awaited<ReturnType<typeof run>>[], after: [] as Awaited<ReturnType<typeof run>>[] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
        const f = await run(target, DURATION);
        figures[target.name].push(f);
        console.log(`round ${round + 1} ${target.name}: ${f.rate.toFixed(0)} req/s, p99 ${f.p99} ms, CPU ${f.cpu.toFixed(3)} ms a call`);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
    for (const [name, fs] of Object.entries(figures)) {
      console.log(`${name}: median ${median(fs.map((f) => f.rate)).toFixed(0)} req/s, median CPU ${median(fs.map((f) => f.cpu)).toFixed(3)} ms a call (${CONNECTIONS} connections, ${DURATION} s a run, ${ROUNDS} rounds)`);
    }
  } finally {
    await stopChild(before);
    await system.stop();
  }
}

await main();
