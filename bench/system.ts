import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { freePort } from '../src/embedded/ports.js';
import { loadConfig } from '../src/config.js';
import { startEmbeddedServices } from '../src/embedded/embedded-services.js';

/**
 * The system as a user runs it: `dsar up` (what `npm start` runs after the build), embedded Postgres
 * and Redis, demo data, the API and one worker in one process, in a temporary data directory on a
 * free port. The benchmarks drive it over HTTP, as the admin console does.
 */
export interface System {
  base: string;
  key: string;
  dataDir: string;
  /** The embedded services' URLs, as `dsar up` records them for the other commands. */
  urls: { databaseUrl: string; redisUrl: string };
  /** The process serving the API (`dsar up` or `dsar api`), whose CPU a benchmark may read. */
  pid: number | undefined;
  stop(): Promise<void>;
}

const CLI = 'dist/src/cli.js';
const UP_WITHIN_MS = 180_000;

export async function startSystem(env: Record<string, string> = {}): Promise<System> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'dsar-bench-'));
  const port = await freePort();
  const key = `dsar_${randomBytes(24).toString('base64url')}`;
  // CPU_PROF=<dir>: a CPU profile of `dsar up`, written there when it stops (node --cpu-prof).
  const profile = process.env.CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, CLI, 'up'], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), DEMO_API_KEY: key, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await upMessage(child);
  const urls = JSON.parse(await readFile(path.join(dataDir, 'embedded.json'), 'utf8'));
  return {
    urls,
    base: `http://127.0.0.1:${port}`,
    key,
    dataDir,
    pid: child.pid,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The API alone (`dsar api`), with services of its own: embedded Postgres and Redis started here, migrated
 * and seeded with `dsar migrate` and `dsar seed`, a key minted with `dsar apikey create`. No worker runs, so
 * what the API enqueues stays queued. `env` goes to the API (e.g. RATE_LIMIT_PER_MINUTE).
 */
export async function startApi(env: Record<string, string> = {}): Promise<System> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'dsar-bench-'));
  const services = await startEmbeddedServices(loadConfig({ DATA_DIR: dataDir }));
  const base = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  try {
    await cli(base, 'migrate');
    await cli(base, 'seed');
    const key = (await cli(base, 'apikey', 'create', '--tenant', 'acme', '--name', 'bench')).trim();
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'api'], { env: { ...base, PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    await upWhen(child, `http://127.0.0.1:${port}/readyz`);
    return {
      urls: { databaseUrl: services.databaseUrl, redisUrl: services.redisUrl },
      base: `http://127.0.0.1:${port}`,
      key,
      dataDir,
      pid: child.pid,
      async stop() {
        await stopChild(child);
        await services.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await services.stop();
    throw err;
  }
}

/** A child process serving HTTP, up once `readyUrl` answers 200. */
export async function upWhen(child: ChildProcess, readyUrl: string): Promise<void> {
  const deadline = Date.now() + UP_WITHIN_MS;
  let exited = false;
  child.once('exit', () => (exited = true));
  child.stdout?.resume();
  while (!exited && Date.now() < deadline) {
    if (await fetch(readyUrl).then((res) => res.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${readyUrl} did not come up${exited ? ': the process exited' : ' in time'}`);
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Runs a `dsar` command to its end; its output. */
function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`dsar ${args.join(' ')} exited (${code})`))));
  });
}

function upMessage(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('dsar up did not start in time')), UP_WITHIN_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('DSAR backend is up')) {
        clearTimeout(timer);
        child.stdout?.resume();
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`dsar up exited (${code})`)));
  });
}

/** What the benchmarks read of a request; the API's answer is checked against it. */
const RequestSeen = Type.Object({ id: Type.String(), status: Type.String(), createdAt: Type.String(), completedAt: Type.Optional(Type.String()) });

export async function request(system: System, method: string, url: string, body?: object): Promise<{ status: number; json: Static<typeof RequestSeen> }> {
  const res = await fetch(`${system.base}${url}`, {
    method,
    headers: { authorization: `Bearer ${system.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text}`);
  return { status: res.status, json: Value.Parse(RequestSeen, JSON.parse(text)) };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** A process's CPU time so far (user + system), ms; /proc counts it in ticks of 10 ms. */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
