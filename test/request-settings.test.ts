import t from 'tap';
import { InFlight, RequestSettings, type TaskSettings } from '../src/tasks/request-settings.js';

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

t.test('tasks share a read of their request while it is on its way, and ask anew once it settled', async (t) => {
  const reads = new InFlight<number>();
  let asked = 0;
  const ask = () => Promise.resolve(++asked);
  const together = await Promise.all([reads.of('r1', ask), reads.of('r1', ask), reads.of('r2', ask)]);
  t.same(together, [1, 1, 2], 'one read per request while on its way');
  t.equal(await reads.of('r1', ask), 3, 'a later task reads again');
  await t.rejects(reads.of('r1', () => Promise.reject(new Error('Postgres is down'))), /Postgres is down/);
  t.equal(await reads.of('r1', ask), 4, 'a failed read is not kept');
});
