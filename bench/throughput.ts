import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ended, startDeployment, submitAll, type Deployment } from './deployment.js';
import { sleep } from '../test/faults/services.js';

/**
 * Throughput (issue 17, item 4): N small access requests (every feature of the demo tenant, subjects
 * without data) submitted at once and run to the end, with one worker process and then with two, on the
 * same API, Postgres and Redis. Requests per minute from the first submit to the last completion; the
 * baseline is the one-worker run of the same invocation. N=10000 is the full size.
 */

const N = Number(process.env.N ?? 300);
const CONCURRENCY = process.env.WORKER_CONCURRENCY ?? '4';

interface Run {
  perMinute: number;
  /** Cores the whole machine kept busy meanwhile (API, workers, Postgres, Redis, this bench). */
  coresBusy: number;
}

/** The machine's CPU time so far, busy and in all, from /proc/stat's first line (in clock ticks). */
function cpuTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}

async function run(deployment: Deployment, workers: number, round: number): Promise<Run> {
  const processes = Array.from({ length: workers }, () => deployment.worker({ WORKER_CONCURRENCY: CONCURRENCY }));
  // Their start-up (connections, the hourly housekeeping's first run) is not what is measured.
  await sleep(5_000);
  const subjects = Array.from({ length: N }, (_, i) => `throughput-${round}-${i}`);
  const started = performance.now();
  const ticks = cpuTicks();
  const ids = await submitAll(deployment, 'acme', subjects);
  await ended(deployment, ids);
  const minutes = (performance.now() - started) / 60_000;
  const after = cpuTicks();
  await Promise.all(processes.map((p) => p.stop()));
  const coresBusy = ((after.busy - ticks.busy) / (after.total - ticks.total)) * availableParallelism();
  return { perMinute: N / minutes, coresBusy };
}

async function main(): Promise<void> {
  const deployment = await startDeployment();
  try {
    const one = await run(deployment, 1, 1);
    const two = await run(deployment, 2, 2);
    console.log(`\n# throughput: ${N} small access requests, WORKER_CONCURRENCY=${CONCURRENCY} per worker process\n`);
    const cores = availableParallelism();
    console.log(`| worker processes | requests per minute | cores busy (of ${cores}, the whole machine) |\n| ---: | ---: | ---: |`);
    console.log(`| 1 (baseline) | ${one.perMinute.toFixed(0)} | ${one.coresBusy.toFixed(2)} |`);
    console.log(`| 2 | ${two.perMinute.toFixed(0)} | ${two.coresBusy.toFixed(2)} |`);
    console.log(`\n2 workers / 1 worker: ${(two.perMinute / one.perMinute).toFixed(2)}× (target ≥ 1.8×)`);
    // Everything runs on this machine: a second worker can add at most what the first left idle.
    console.log(`this machine's bound for any number of workers: ${(cores / one.coresBusy).toFixed(2)}× (its cores / the cores one worker's run kept busy)`);
  } finally {
    await deployment.stop();
  }
}

await main();
