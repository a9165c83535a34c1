// The fault suite (`npm run test:faults`; README "Test it"): answers the same requests under each fault,
// on real processes, and prints per scenario what was submitted, completed, lost and duplicated, and
// whether the results are byte for byte those of an uninterrupted run. Exits 1 unless every row is clean.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { freePort } from '../../src/embedded/ports.js';
import { TERMINAL_STATUSES, type RequestStatus } from '../../src/requests/lifecycle.js';
import { differences } from './differences.js';
import { endings, unfinished } from './observe.js';
import { cli, deploymentEnv, ServiceProcess, startApi, type Env } from './processes.js';
import { SCENARIOS, type Scenario, type Scene } from './scenarios.js';
import { PrivateServices, sleep } from './services.js';
import { download, plan, submit, type Keys, type Submitted } from './workload.js';

/** FAULTS_SHORT=1 (CI): fewer requests and one kill per kill scenario; the outages last as long. */
const SHORT = process.env.FAULTS_SHORT === '1';
const PER_TYPE = SHORT ? 3 : 11;
const KILLS = SHORT ? 1 : 2;
/** FAULTS_ONLY=collect,Redis: only the scenarios whose names contain one of these (the reference always runs). */
const ONLY = process.env.FAULTS_ONLY?.split(',').filter(Boolean);
const CHOSEN = SCENARIOS.filter((s, i) => i === 0 || !ONLY || ONLY.some((word) => s.name.includes(word)));
/**
 * How long requests may take to end after the fault before they count as lost: as long as the
 * reference run took to answer them all (the machine may be slow), and this much for the recovery.
 */
const RECOVERY_MS = 180_000;

interface Row {
  scenario: string;
  submitted: number;
  completed: number;
  lost: number;
  duplicated: number;
  /** Results identical to the reference run's, or undefined for the reference itself. */
  matching?: number;
  seconds: number;
  notes: string[];
}

interface Suite {
  services: PrivateServices;
  env: Env;
  keys: Keys;
  submitted: Submitted[];
  logs: string;
  reference?: { status: Map<string, string>; results: Map<string, Buffer | string> };
  /** How long the reference run took to answer every request. */
  referenceMs?: number;
}

const base = (env: Env) => `http://127.0.0.1:${env.PORT}`;

async function prepare(root: string): Promise<Suite> {
  const services = await PrivateServices.start(root);
  const env = deploymentEnv(services, await freePort());
  const logs = path.join(root, 'logs');
  await mkdir(logs);
  await cli(['migrate'], env);
  await cli(['seed'], env);
  const keys: Keys = {};
  for (const tenant of ['acme', 'globex']) keys[tenant] = await cli(['apikey', 'create', '--tenant', tenant, '--name', 'fault-suite'], env);
  await purgeOnce(env, path.join(logs, 'purge-worker.log'));
  const api = await startApi(env, path.join(logs, 'submit-api.log'));
  const submitted = await submit(base(env), keys, plan(PER_TYPE)).finally(() => api.stop());
  await services.snapshot();
  return { services, env, keys, submitted, logs };
}

/**
 * A worker's first act is the hourly retention purge, which erases demo data past its retention: run
 * with the requests, it races their collection, and results would differ by which came first. So it
 * runs once before they are submitted, and its next run is an hour away.
 */
async function purgeOnce(env: Env, logFile: string): Promise<void> {
  const worker = new ServiceProcess('worker', env, logFile);
  try {
    for (let waited = 0; !(await readFile(logFile, 'utf8')).includes('retention purge done'); waited += 200) {
      if (worker.ended || waited > 120_000) throw new Error(`the retention purge did not run; see ${logFile}`);
      await sleep(200);
    }
  } finally {
    await worker.stop();
  }
}

async function runScenario(suite: Suite, scenario: Scenario): Promise<Row> {
  const started = Date.now();
  const { services, env, submitted } = suite;
  await services.restore();
  const logFile = (what: string) => path.join(suite.logs, `${scenario.name.replace(/\W+/g, '-').replace(/-$/, '')}-${what}.log`);
  const sql = postgres(services.databaseUrl, { max: 4, onnotice: () => {}, connect_timeout: 5 });
  const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // down on purpose in some scenarios
  const notes: string[] = [];
  let api = await startApi(env, logFile('api'));
  let worker = new ServiceProcess('worker', env, logFile('worker'));
  const scene: Scene = {
    sql,
    redis,
    services,
    kills: KILLS,
    worker: () => worker,
    killWorker: async () => {
      await worker.kill();
      worker = new ServiceProcess('worker', env, logFile('worker'));
    },
    note: (text) => notes.push(text),
  };
  try {
    await scenario.fault?.(scene);
    const ids = submitted.map((r) => r.id);
    const deadline = Date.now() + (suite.referenceMs ?? 0) + RECOVERY_MS;
    while ((await unfinished(sql, ids).catch(() => -1)) !== 0 && Date.now() < deadline && !worker.ended) await sleep(500);
    suite.referenceMs ??= Date.now() - started;
    if (worker.ended) notes.push(`worker exited by itself (${worker.ended}), not restarted`);
    if (api.ended) {
      notes.push(`API exited by itself (${api.ended}); restarted to download`);
      api = await startApi(env, logFile('api'));
    }
    return await tally(suite, scenario, sql, notes, started);
  } finally {
    await worker.stop();
    await api.stop();
    await sql.end({ timeout: 5 });
    redis.disconnect();
  }
}

async function tally(suite: Suite, scenario: Scenario, sql: postgres.Sql, notes: string[], started: number): Promise<Row> {
  const { submitted } = suite;
  const ended = await endings(
    sql,
    submitted.map((r) => r.id),
    path.join(suite.services.dataDir, 'results'),
  );
  const results = new Map<string, Buffer | string>();
  for (const r of submitted) results.set(r.id, await download(base(suite.env), suite.keys, r));
  const reference = suite.reference;
  const status = (id: string) => ended.get(id)?.status ?? 'missing';
  const expected = (id: string) => reference?.status.get(id) ?? 'completed';
  const others = submitted.filter((r) => status(r.id) !== expected(r.id));
  if (others.length > 0) notes.push(`ended otherwise: ${summarise(others.map((r) => status(r.id)))}`);
  const duplicates = submitted.flatMap((r) => ended.get(r.id)?.duplicates ?? []);
  if (duplicates.length > 0) notes.push(`duplicates: ${summarise(duplicates)}`);
  const leftovers = submitted.reduce((n, r) => n + (ended.get(r.id)?.leftovers ?? 0), 0);
  if (leftovers > 0) notes.push(`${leftovers} files left in the results store after the end`);
  const row: Row = {
    scenario: scenario.name,
    submitted: submitted.length,
    completed: submitted.length - others.length,
    lost: submitted.filter((r) => !TERMINAL_STATUSES.includes(status(r.id) as RequestStatus)).length,
    duplicated: submitted.filter((r) => (ended.get(r.id)?.duplicates.length ?? 0) > 0).length,
    seconds: Math.round((Date.now() - started) / 1000),
    notes,
  };
  if (!reference) {
    const missing = submitted.filter((r) => typeof results.get(r.id) === 'string');
    if (missing.length > 0) notes.push(`no result: ${summarise(missing.map((r) => `${r.type} ${results.get(r.id)}`))}`);
    suite.reference = { status: new Map(submitted.map((r) => [r.id, status(r.id)])), results };
    return row;
  }
  let matching = 0;
  const differing: string[] = [];
  const where: string[] = [];
  for (const r of submitted) {
    const [before, now] = [reference.results.get(r.id), results.get(r.id)];
    if (Buffer.isBuffer(before) && Buffer.isBuffer(now) && sha256(before) === sha256(now)) matching++;
    else {
      differing.push(r.type);
      where.push(...(Buffer.isBuffer(before) && Buffer.isBuffer(now) ? await differences(before, now) : [`no result (${now})`]));
    }
  }
  if (differing.length > 0) notes.push(`differing results: ${summarise(differing)} (in ${summarise(where)})`);
  return { ...row, matching };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** `3 × access, 1 × export` */
function summarise(items: string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].map(([item, n]) => `${n} × ${item}`).join(', ');
}

function clean(row: Row): boolean {
  return row.lost === 0 && row.duplicated === 0 && row.completed === row.submitted && (row.matching ?? row.submitted) === row.submitted;
}

function table(rows: Row[]): string {
  const header = ['scenario', 'submitted', 'completed', 'lost', 'duplicated', 'sha256 match', 'seconds', 'what happened'];
  const cells = rows.map((r) => [
    r.scenario,
    String(r.submitted),
    String(r.completed),
    String(r.lost),
    String(r.duplicated),
    r.matching === undefined ? 'reference' : `${r.matching}/${r.submitted}${r.matching === r.submitted ? ' yes' : ' NO'}`,
    String(r.seconds),
    r.notes.join('; '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const root = await mkdtemp(path.join(os.tmpdir(), 'dsar-faults-'));
  let suite: Suite | undefined;
  const rows: Row[] = [];
  const stop = async () => {
    await suite?.services.remove();
    await rm(root, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    suite = await prepare(root);
    console.log(`# fault suite: ${suite.submitted.length} requests per scenario${SHORT ? ' (short)' : ''}; logs in ${suite.logs}`);
    for (const scenario of CHOSEN) {
      const row = await runScenario(suite, scenario);
      rows.push(row);
      console.log(`# ${row.scenario}: ${clean(row) ? 'ok' : 'NOT OK'} (${row.seconds} s)`);
    }
  } finally {
    console.log(table(rows));
    const ok = rows.length === CHOSEN.length && rows.every(clean);
    console.log(`# ${rows.filter(clean).length} of ${CHOSEN.length} scenarios clean in ${Math.round((Date.now() - started) / 1000)} s`);
    if (ok || process.env.FAULTS_KEEP_LOGS !== '1') await stop();
    else {
      await suite?.services.remove();
      console.log(`# logs kept in ${suite?.logs}`);
    }
    process.exitCode = ok ? 0 : 1;
  }
}

await main();
