import t from 'tap';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { loadConfig } from '../src/config.js';
import { startWorker } from '../src/worker/worker.js';
import { purgeDeliveryBatch, purgeDeliveryLog } from '../src/webhooks/retention.js';
import { auth, startSystem } from './helper.js';

/**
 * The webhook delivery log does not grow without bound: a delivered or failed delivery is deleted
 * WEBHOOK_DELIVERY_RETENTION_DAYS after its last attempt, by the worker's hourly housekeeping, a batch
 * at a time; a pending one (never tried yet, being retried, replayed) stays whatever its age.
 */

// No worker at first: the relay would try the pending rows written below.
const sys = await startSystem(t, { WEBHOOK_DELIVERY_RETENTION_DAYS: '30' }, { worker: false });
const { ctx } = sys;
const sql = ctx.database.sql;
const db = ctx.database.db;

const created = await sys.app.inject({
  method: 'POST',
  url: '/v1/webhooks',
  headers: auth(sys.keys.acme),
  payload: { url: 'http://127.0.0.1:9/hooks', events: ['request.status_changed'] },
});
const endpointId: string = created.json().id;
let nextEvent = 1;

/** A delivery row as the worker leaves it: its last attempt (if any) that many days ago, and a minute. */
async function delivery(state: 'pending' | 'delivered' | 'failed', lastAttemptDaysAgo: number | null, createdDaysAgo = lastAttemptDaysAgo ?? 0) {
  const lastAttempt = lastAttemptDaysAgo === null ? null : sql`now() - make_interval(days => ${lastAttemptDaysAgo}) - interval '1 minute'`;
  const [row] = await sql`
    insert into webhook_deliveries (endpoint_id, event_id, request_id, type, state, attempts, last_attempt_at, delivered_at, created_at)
    values (${endpointId}, ${nextEvent++}, ${randomUUID()}, 'request.status_changed', ${state}, ${lastAttempt ? 1 : 0},
      ${lastAttempt}, ${state === 'delivered' ? lastAttempt : null}, now() - make_interval(days => ${createdDaysAgo}))
    returning id`;
  return row!.id as string;
}

const ids = async () => new Set((await sql`select id from webhook_deliveries`).map((r) => r.id as string));

t.equal(loadConfig({}).webhookDeliveryRetentionDays, 30, '30 days unless configured');
t.equal(loadConfig({ WEBHOOK_DELIVERY_RETENTION_DAYS: '7' }).webhookDeliveryRetentionDays, 7);
t.throws(() => loadConfig({ WEBHOOK_DELIVERY_RETENTION_DAYS: '0' }), /Invalid configuration/, 'at least a day');

t.test('ended deliveries past retention go; recent and pending ones stay', async (t) => {
  const old = [await delivery('delivered', 40), await delivery('failed', 31), await delivery('delivered', 30)];
  const kept = {
    recentDelivered: await delivery('delivered', 29),
    recentFailed: await delivery('failed', 1, 45),
    retrying: await delivery('pending', 40, 60),
    neverTried: await delivery('pending', null, 90),
  };
  t.equal(await purgeDeliveryLog(db, 30), old.length, 'the ended ones past 30 days');
  const left = await ids();
  for (const id of old) t.notOk(left.has(id), 'an old delivered or failed delivery is gone');
  for (const [what, id] of Object.entries(kept)) t.ok(left.has(id), `${what} stays`);
  t.equal(await purgeDeliveryLog(db, 30), 0, 'nothing more to delete');
  t.equal(await purgeDeliveryLog(db, 1), 2, 'a retention of a day reaches the recent ones too');
  t.same([...(await ids())].sort(), [kept.retrying, kept.neverTried].sort(), 'but never a pending one');

  // A replay makes an old delivery pending again: it stays until it has been tried anew.
  const replayed = await delivery('failed', 50);
  const res = await sys.app.inject({ method: 'POST', url: `/v1/webhooks/${endpointId}/deliveries/${replayed}/replay`, headers: auth(sys.keys.acme) });
  t.equal(res.statusCode, 202);
  t.equal(await purgeDeliveryLog(db, 30), 0, 'a replayed delivery is pending, so kept');
  t.ok((await ids()).has(replayed));
  await sql`delete from webhook_deliveries`;
});

t.test('in batches: one statement deletes at most a batch', async (t) => {
  await sql`
    insert into webhook_deliveries (endpoint_id, event_id, request_id, type, state, attempts, last_attempt_at, created_at)
    select ${endpointId}, 100000 + n, gen_random_uuid(), 'request.status_changed', case when n % 2 = 0 then 'delivered' else 'failed' end, 1,
      now() - interval '60 days', now() - interval '60 days'
    from generate_series(1, 250) as n`;
  const recent = await delivery('delivered', 2);
  t.equal(await purgeDeliveryBatch(db, 30, 100), 100, 'a batch');
  t.equal((await ids()).size, 151);
  t.equal(await purgeDeliveryLog(db, 30, 100), 150, 'then batch after batch until none is left');
  t.same([...(await ids())], [recent]);
  await sql`delete from webhook_deliveries`;
});

t.test("the worker's hourly housekeeping runs it", async (t) => {
  const old = await delivery('delivered', 31);
  const recent = await delivery('failed', 3);
  const worker = startWorker(ctx);
  t.teardown(() => worker.close());
  const queue = new Queue('webhook-delivery-retention', { connection: ctx.redis, prefix: ctx.config.queuePrefix });
  t.teardown(() => queue.close());
  let schedulers = await queue.getJobSchedulers();
  for (let i = 0; i < 100 && schedulers.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    schedulers = await queue.getJobSchedulers();
  }
  t.match(schedulers, [{ key: 'webhook-delivery-retention', every: 3_600_000 }], 'scheduled hourly');
  await queue.add('webhook-delivery-retention', {});
  for (let i = 0; i < 200 && (await ids()).has(old); i++) await new Promise((r) => setTimeout(r, 100));
  t.same([...(await ids())], [recent], 'the old delivery is gone, the recent one stays');
});
