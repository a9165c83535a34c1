import t from 'tap';
import { RequestSettings, type TaskSettings } from '../src/tasks/request-settings.js';

// The tenant's settings are read once for all the feature tasks of a request (src/tasks/request-settings.ts).

function loader(fail = false) {
  const loads: string[] = [];
  const load = (tenantId: string): TaskSettings => {
    loads.push(tenantId);
    const read = fail ? Promise.reject(new Error('Postgres is down')) : Promise.resolve();
    return { policy: read.then(() => ({ sharedData: 'own_only' as const })), adapter: async () => ({ kind: 'none' }), read };
  };
  return { loads, load };
}

t.test('the tasks of one request share one read; another request reads its own', async (t) => {
  const { loads, load } = loader();
  const settings = new RequestSettings(load);
  const first = settings.of('r1', 'acme');
  for (let i = 0; i < 18; i++) t.equal(settings.of('r1', 'acme'), first);
  settings.of('r2', 'acme');
  t.same(loads, ['acme', 'acme'], 'one read per request');
  t.same(await first.policy, { sharedData: 'own_only' });
});

t.test('a failed read is not kept: the next task reads again', async (t) => {
  const { loads, load } = loader(true);
  const settings = new RequestSettings(load);
  await t.rejects(settings.of('r1', 'acme').policy, /Postgres is down/);
  await t.rejects(settings.of('r1', 'acme').policy, /Postgres is down/);
  t.equal(loads.length, 2);
});

t.test('settings are kept for a while only: a retry after its backoff reads again', async (t) => {
  const { loads, load } = loader();
  const settings = new RequestSettings(load, 20);
  settings.of('r1', 'acme');
  await new Promise((resolve) => setTimeout(resolve, 40));
  settings.of('r1', 'acme');
  t.equal(loads.length, 2);
});
