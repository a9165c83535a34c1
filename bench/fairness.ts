import { ended, serverMs, startDeployment, submit, submitAll, type Deployment } from './deployment.js';
import { percentile } from './system.js';
import { sleep } from '../test/faults/services.js';

/**
 * Fairness between tenants (issue 17, item 4): tenant acme submits N access requests at once, then
 * tenant globex RUNS single ones, one after another while acme's are worked; globex's submit → completed
 * (the server's createdAt → completedAt), median, against its median on the same system idle, measured
 * first in the same run (target ≤ 1.5×). One API, one worker process, TENANT_MAX_ACTIVE_REQUESTS=LIMIT
 * (0: no limit, what a deployment without it gets). N=2000 is the full size. Then acme's own time: its
 * first createdAt → its last completedAt, what the fairness costs the flooding tenant. BACKLOG_CONCURRENCY
 * is passed on when set.
 */

const N = Number(process.env.N ?? 200);
const LIMIT = process.env.LIMIT ?? '4';
const RUNS = 5;
const BACKLOG: Record<string, string> = process.env.BACKLOG_CONCURRENCY ? { BACKLOG_CONCURRENCY: process.env.BACKLOG_CONCURRENCY } : {};

/** Where a request's time went, from its trail: its first task started, its last task ended, completed (ms after createdAt). */
interface Phases {
  total: number;
  firstStarted: number;
  lastEnded: number;
}

async function phases(deployment: Deployment, id: string): Promise<Phases> {
  const [row] = await deployment.sql<{ first: number; last: number }[]>`
    select extract(epoch from (min(e.at) filter (where e.kind = 'task_started') - r.created_at)) * 1000 as first,
           extract(epoch from (max(e.at) filter (where e.kind = 'task_completed') - r.created_at)) * 1000 as last
    from requests r join audit_events e on e.request_id = r.id where r.id = ${id} group by r.created_at`;
  return { total: await serverMs(deployment, id), firstStarted: Number(row?.first), lastEnded: Number(row?.last) };
}

async function single(deployment: Deployment, accountId: string): Promise<Phases> {
  const id = await submit(deployment, 'globex', accountId);
  await ended(deployment, [id]);
  return phases(deployment, id);
}

async function acmeEnded(deployment: Deployment, flood: string[]): Promise<number> {
  const [row] = await deployment.sql<{ n: number }[]>`
    select count(*)::int as n from requests where id = any(${flood}::uuid[]) and status in ('completed', 'partially_completed', 'failed')`;
  return row?.n ?? 0;
}

/** The flood's server-side time: its first createdAt → its last completedAt, in s. */
async function floodSeconds(deployment: Deployment, flood: string[]): Promise<number> {
  const [row] = await deployment.sql<{ s: number }[]>`
    select extract(epoch from (max(completed_at) - min(created_at))) as s from requests where id = any(${flood}::uuid[])`;
  return Number(row?.s);
}

const median = (runs: Phases[], phase: keyof Phases) => percentile(runs.map((run) => run[phase]), 50);

async function main(): Promise<void> {
  const deployment = await startDeployment({ TENANT_MAX_ACTIVE_REQUESTS: LIMIT, ...BACKLOG });
  try {
    deployment.worker();
    await sleep(5_000);
    await single(deployment, 'warm-up');
    const idle: Phases[] = [];
    for (let i = 0; i < RUNS; i++) idle.push(await single(deployment, `idle-${i}`));
    const flood = await submitAll(
      deployment,
      'acme',
      Array.from({ length: N }, (_, i) => `flood-${i}`),
    );
    const busy: Phases[] = [];
    const endedBefore: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      endedBefore.push(await acmeEnded(deployment, flood));
      busy.push(await single(deployment, i === 0 ? 'alice' : `busy-${i}`));
    }
    const endedAfter = await acmeEnded(deployment, flood);
    console.log(`\n# fairness: acme submits ${N} access requests, then globex ${RUNS} one after another; TENANT_MAX_ACTIVE_REQUESTS=${LIMIT}, ${Object.entries(BACKLOG).map(([k, v]) => `${k}=${v}, `).join('')}one worker\n`);
    console.log(`| globex, one access request (median of ${RUNS}) | first task started | last task ended | createdAt → completedAt |\n| --- | ---: | ---: | ---: |`);
    for (const [label, runs] of [
      ['idle system (baseline)', idle],
      [`behind acme's ${N}`, busy],
    ] as const) {
      console.log(`| ${label} | ${median(runs, 'firstStarted').toFixed(0)} ms | ${median(runs, 'lastEnded').toFixed(0)} ms | ${median(runs, 'total').toFixed(0)} ms |`);
    }
    console.log(`\nbehind acme, each: ${busy.map((run) => run.total.toFixed(0)).join(', ')} ms (acme's ended before each: ${endedBefore.join(', ')}; after the last: ${endedAfter} of ${N})`);
    if (endedAfter === N) console.log('acme had ended before the last of globex\'s: run with a larger N');
    await ended(deployment, flood);
    console.log(`acme's ${N}: first created → last completed ${(await floodSeconds(deployment, flood)).toFixed(1)} s`);
    console.log(`busy / idle, medians: ${(median(busy, 'total') / median(idle, 'total')).toFixed(2)}× (target ≤ 1.5×); worst / idle: ${(Math.max(...busy.map((run) => run.total)) / median(idle, 'total')).toFixed(2)}×`);
  } finally {
    await deployment.stop();
  }
}

await main();
