import t from 'tap';
import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import { Redis } from 'ioredis';
import { startHeartbeat, workerIsAlive } from '../src/worker/heartbeat.js';
import { readTestServices } from './setup/services.js';
import { dataDirectory, dsar, processesIn, type Run } from './setup/processes.js';

/** `dsar up` as a user runs it (its data under a mode-0700 parent): serves, is probed, stops on Ctrl+C. */

const pgPasswordFiles = async () => (await readdir(os.tmpdir())).filter((name) => name.startsWith('pg-password'));

t.test('up serves, answers the health checks, and stops everything on SIGINT', async (t) => {
  const { env, daemonDirs } = await dataDirectory(t);
  const tmpBefore = await pgPasswordFiles();
  let health: Promise<[Run[], number]> | undefined;
  let commandLine = '';
  const run = await dsar(['up'], env, (stdout, pid) => {
    if (health || !stdout.includes('Press Ctrl+C to stop.')) return;
    health = (async () => {
      commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
      const checks = [await dsar(['health', 'api'], env), await dsar(['health', 'worker'], env)];
      const tried = await tryIt(stdout).finally(() => process.kill(pid, 'SIGINT'));
      return [checks, tried];
    })();
  });
  const [[api, worker] = [], tried] = (await health) ?? [];
  t.equal(tried, 202, 'the printed example works as printed');
  t.match(api, { code: 0, stdout: 'ok\n' }, 'dsar health api');
  t.match(worker, { code: 0, stdout: 'ok\n' }, 'dsar health worker');
  t.match(commandLine, /^\S+ --min-semi-space-size=4 --max-semi-space-size=4 --import tsx \S*src\/cli\.ts up $/, 'the process started itself again, in place, with its heap sized (worker/heap.ts)');
  t.equal(run.code, 0, 'a clean exit');
  t.match(run.stderr, /SIGINT: stopping \(up to 10000 ms/);
  t.same(await processesIn(daemonDirs), [], 'no postgres, redis-server or node left');
  t.same(await pgPasswordFiles(), tmpBefore, 'nothing left in the temporary directory');
});

/** Runs the banner's "Try it" curl: its URL, key and body, as a user pastes it. */
async function tryIt(stdout: string): Promise<number> {
  const url = /curl -s -X POST (\S+)/.exec(stdout)?.[1];
  const key = /Authorization: Bearer (dsar_\S+?)"/.exec(stdout)?.[1];
  const body = /-d '(.+)'/.exec(stdout)?.[1];
  if (!url || !key || !body) return 0;
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
  return res.status;
}

t.test('the worker heartbeat lives while the worker runs', async (t) => {
  const redis = new Redis(readTestServices().redisUrl);
  t.teardown(() => redis.disconnect());
  const prefix = '{dsar-heartbeat-test}';
  let running = false;
  const stopped = startHeartbeat(redis, prefix, () => running);
  await new Promise((r) => setTimeout(r, 100));
  t.notOk(await workerIsAlive(redis, prefix), 'no beat while the queues do not run');
  await stopped.stop();
  running = true;
  const beating = startHeartbeat(redis, prefix, () => running);
  await new Promise((r) => setTimeout(r, 100));
  t.ok(await workerIsAlive(redis, prefix));
  await beating.stop();
  t.notOk(await workerIsAlive(redis, prefix), 'a stopped worker is not alive');
});
