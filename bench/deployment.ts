import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { freePort } from '../src/embedded/ports.js';
import { PrivateServices, sleep } from '../test/faults/services.js';
import { cli, deploymentEnv, ServiceProcess, startApi, type Env } from '../test/faults/processes.js';

/**
 * A deployment as an operator runs one (for the scale benchmarks): its own Postgres and Redis, the
 * built CLI's `api` in one process and any number of `worker` processes beside it, each configured by
 * its environment. Run `npm run build` first. Logs go to the run's temporary directory.
 */
export interface Deployment {
  base: string;
  keys: Record<string, string>;
  sql: postgres.Sql;
  /** Starts a worker process with these settings added to the deployment's. */
  worker(env?: Env): ServiceProcess;
  stop(): Promise<void>;
}

const DONE = ['completed', 'partially_completed', 'failed', 'cancelled', 'rejected'];

export async function startDeployment(env: Env = {}): Promise<Deployment> {
  const root = await mkdtemp(path.join(tmpdir(), 'dsar-scale-bench-'));
  const logs = path.join(root, 'logs');
  await mkdir(logs);
  const services = await PrivateServices.start(root);
  const deployment: Env = { ...deploymentEnv(services, await freePort()), LOG_LEVEL: 'warn', RECONCILE_INTERVAL_MS: '5000', ...env };
  await cli(['migrate'], deployment);
  await cli(['seed'], deployment);
  const keys: Record<string, string> = {};
  for (const tenant of ['acme', 'globex']) keys[tenant] = await cli(['apikey', 'create', '--tenant', tenant, '--name', 'bench'], deployment);
  const api = await startApi(deployment, path.join(logs, 'api.log'));
  const sql = postgres(services.databaseUrl, { max: 4, onnotice: () => {} });
  const workers: ServiceProcess[] = [];
  return {
    base: `http://127.0.0.1:${deployment.PORT}`,
    keys,
    sql,
    worker(extra = {}) {
      const worker = new ServiceProcess('worker', { ...deployment, ...extra }, path.join(logs, `worker-${workers.length + 1}.log`));
      workers.push(worker);
      return worker;
    },
    async stop() {
      await Promise.all([api.stop(), ...workers.map((w) => w.stop())]);
      await sql.end({ timeout: 5 });
      await services.remove();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Submits an access request for the subject as the tenant's key; its id. */
export async function submit(deployment: Deployment, tenant: string, accountId: string, features?: string[]): Promise<string> {
  const res = await fetch(`${deployment.base}/v1/requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${deployment.keys[tenant]}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'access', subject: { accountId }, verification: { method: 'sso', note: 'benchmark' }, ...(features ? { features } : {}) }),
  });
  const body = (await res.json()) as { id?: unknown };
  if (res.status !== 202 || typeof body.id !== 'string') throw new Error(`submit answered ${res.status}`);
  return body.id;
}

/** Submits the subjects' requests, `parallel` at a time; their ids in order. */
export async function submitAll(deployment: Deployment, tenant: string, subjects: string[], parallel = 16, features?: string[]): Promise<string[]> {
  const ids: string[] = new Array(subjects.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < subjects.length; i = next++) ids[i] = await submit(deployment, tenant, subjects[i] ?? '', features);
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return ids;
}

/** Waits until every request has ended (read from Postgres: polling the API would load what is measured). */
export async function ended(deployment: Deployment, ids: string[], timeoutMs = 3_600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await deployment.sql<{ open: number }[]>`
      select count(*)::int as open from requests where id = any(${ids}::uuid[]) and status <> all(${DONE}::text[])`;
    if (row?.open === 0) return;
    if (Date.now() > deadline) throw new Error(`${row?.open} requests still open`);
    await sleep(100);
  }
}

/** A request's server-side time, createdAt → completedAt, in ms. */
export async function serverMs(deployment: Deployment, id: string): Promise<number> {
  const [row] = await deployment.sql<{ ms: number; status: string }[]>`
    select status, extract(epoch from (completed_at - created_at)) * 1000 as ms from requests where id = ${id}`;
  if (row?.status !== 'completed') throw new Error(`request ended ${row?.status}`);
  return Number(row.ms);
}
