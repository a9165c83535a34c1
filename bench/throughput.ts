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

async function run(deployment: Deployment, workers: number, round: number): Promise<number> {
  const processes = Array.from({ length: workers }, () => deployment.worker({ WORKER_CONCURRENCY: CONCURRENCY }));
  // Their start-up (connections, the hourly housekeeping's first run) is not what is measured.
  await sleep(5_000);
  const subjects = Array.from({ length: N }, (_, i) => `throughput-${round}-${i}`);
  const started = performance.now();
  const ids = await submitAll(deployment, 'acme', subjects);
  await ended(deployment, ids);
  const minutes = (performance.now() - started) / 60_000;
  await Promise.all(processes.map((p) => p.stop()));
  return N / minutes;
}

async function main(): Promise<void> {
  const deployment = await startDeployment();
  try {
    const one = await run(deployment, 1, 1);
    const two = await run(deployment, 2, 2);
    console.log(`\n# throughput: ${N} small access requests, WORKER_CONCURRENCY=${CONCURRENCY} per worker process\n`);
    console.log('| worker processes | requests per minute |\n| ---: | ---: |');
    console.log(`| 1 (baseline) | ${one.toFixed(0)} |`);
    console.log(`| 2 | ${two.toFixed(0)} |`);
    console.log(`\n2 workers / 1 worker: ${(two / one).toFixed(2)}× (target ≥ 1.8×)`);
  } finally {
    await deployment.stop();
  }
}

await main();
