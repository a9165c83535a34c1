import { ended, serverMs, startDeployment, submit, submitAll, type Deployment } from './deployment.js';
import { percentile } from './system.js';
import { sleep } from '../test/faults/services.js';

/**
 * Fairness between tenants (issue 17, item 4): tenant acme submits N access requests at once, then
 * tenant globex one; globex's submit → completed (the server's createdAt → completedAt) against its
 * median on the same system idle, measured first in the same run (target ≤ 1.5×). One API, one worker
 * process, TENANT_MAX_ACTIVE_REQUESTS=LIMIT (0: no limit, what a deployment without it gets).
 * N=2000 is the full size.
 */

const N = Number(process.env.N ?? 200);
const LIMIT = process.env.LIMIT ?? '4';
const IDLE_RUNS = 5;

async function single(deployment: Deployment, accountId: string): Promise<number> {
  const id = await submit(deployment, 'globex', accountId);
  await ended(deployment, [id]);
  return serverMs(deployment, id);
}

async function main(): Promise<void> {
  const deployment = await startDeployment({ TENANT_MAX_ACTIVE_REQUESTS: LIMIT });
  try {
    deployment.worker();
    await sleep(5_000);
    await single(deployment, 'warm-up');
    const idle: number[] = [];
    for (let i = 0; i < IDLE_RUNS; i++) idle.push(await single(deployment, `idle-${i}`));
    const flood = await submitAll(
      deployment,
      'acme',
      Array.from({ length: N }, (_, i) => `flood-${i}`),
    );
    const busy = await single(deployment, 'alice');
    const [row] = await deployment.sql<{ n: number }[]>`
      select count(*)::int as n from requests where id = any(${flood}::uuid[]) and status in ('completed', 'partially_completed', 'failed')`;
    const idleMedian = percentile(idle, 50);
    console.log(`\n# fairness: acme submits ${N} access requests, then globex one; TENANT_MAX_ACTIVE_REQUESTS=${LIMIT}, one worker\n`);
    console.log('| globex, one access request | createdAt → completedAt |\n| --- | ---: |');
    console.log(`| idle system, median of ${IDLE_RUNS} (baseline) | ${idleMedian.toFixed(0)} ms |`);
    console.log(`| behind acme's ${N} | ${busy.toFixed(0)} ms |`);
    console.log(`\nbusy / idle: ${(busy / idleMedian).toFixed(2)}× (target ≤ 1.5×); acme's requests ended by then: ${row?.n} of ${N}`);
  } finally {
    await deployment.stop();
  }
}

await main();
