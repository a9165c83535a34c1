import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { embeddedPostgresDataDir, removeEmbeddedPostgres } from '../src/embedded/postgres.js';
import { freePort } from '../src/embedded/ports.js';
import { processesIn } from './setup/processes.js';

/** `dsar up` as a user runs it (from the sources), with its data under a mode-0700 parent. */

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function dsar(args: string[], env: Record<string, string>, onStdout?: (text: string, pid: number) => void): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout, child.pid ?? 0);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** A data directory under a fresh 0700 directory, and the directories its daemons run in. */
async function dataDirectory(t: Test) {
  const parent = await mkdtemp(path.join(os.tmpdir(), 'dsar-cli-'));
  const config = loadConfig({ DATA_DIR: path.join(parent, 'data') });
  const pg = { dir: path.join(config.dataDir, 'pg'), sharedDir: config.embeddedPostgresDir };
  t.teardown(async () => {
    await removeEmbeddedPostgres(pg);
    await rm(parent, { recursive: true, force: true });
  });
  return {
    env: { DATA_DIR: config.dataDir, PORT: String(await freePort()) },
    daemonDirs: [parent, await embeddedPostgresDataDir(pg)],
  };
}

const pgPasswordFiles = async () => (await readdir(os.tmpdir())).filter((name) => name.startsWith('pg-password'));

t.test('a start that fails stops what it started and says why in one line', async (t) => {
  const { env, daemonDirs } = await dataDirectory(t);
  const run = await dsar(['up'], { ...env, DEMO_API_KEY: 'too-short' });
  t.equal(run.code, 1);
  t.match(run.stderr, /^dsar up: DEMO_API_KEY: An API key needs at least 20 characters\n$/, 'one line');
  t.ok(existsSync(path.join(daemonDirs[1] ?? '', 'PG_VERSION')), 'Postgres had been started');
  t.same(await processesIn(daemonDirs), [], 'no postgres, redis-server or node left');
  t.notOk(existsSync(path.join(env.DATA_DIR, 'embedded.json')));
});

t.test('up serves, answers the health checks, and stops everything on SIGINT', async (t) => {
  const { env, daemonDirs } = await dataDirectory(t);
  const tmpBefore = await pgPasswordFiles();
  let health: Promise<Run[]> | undefined;
  const run = await dsar(['up'], env, (stdout, pid) => {
    if (health || !stdout.includes('Press Ctrl+C to stop.')) return;
    health = (async () => {
      const checks = [await dsar(['health', 'api'], env), await dsar(['health', 'worker'], env)];
      process.kill(pid, 'SIGINT');
      return checks;
    })();
  });
  const [api, worker] = (await health) ?? [];
  t.match(api, { code: 0, stdout: 'ok\n' }, 'dsar health api');
  t.match(worker, { code: 0, stdout: 'ok\n' }, 'dsar health worker');
  t.equal(run.code, 0, 'a clean exit');
  t.match(run.stderr, /SIGINT: stopping \(up to 10000 ms/);
  t.same(await processesIn(daemonDirs), [], 'no postgres, redis-server or node left');
  t.same(await pgPasswordFiles(), tmpBefore, 'nothing left in the temporary directory');

  const after = await dsar(['health', 'worker'], { ...env, REDIS_URL: 'redis://127.0.0.1:1' });
  t.equal(after.code, 1, 'no worker, no Redis: unhealthy');
  t.match(after.stderr, /^dsar health: /);
});
