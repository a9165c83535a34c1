import t from 'tap';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { dataDirectory, dsar, processesIn } from './setup/processes.js';

/** `dsar up` whose start fails (its data under a mode-0700 parent) leaves nothing running. */

t.test('a start that fails stops what it started and says why in one line', async (t) => {
  const { env, daemonDirs } = await dataDirectory(t);
  const run = await dsar(['up'], { ...env, DEMO_API_KEY: 'too-short' });
  t.equal(run.code, 1);
  t.match(run.stderr, /^dsar up: DEMO_API_KEY: An API key needs at least 20 characters\n$/, 'one line');
  t.ok(existsSync(path.join(daemonDirs[1] ?? '', 'PG_VERSION')), 'Postgres had been started');
  t.same(await processesIn(daemonDirs), [], 'no postgres, redis-server or node left');
  t.notOk(existsSync(path.join(env.DATA_DIR, 'embedded.json')));
});
