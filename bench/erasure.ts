import { openSql, type Sql } from '../src/db/client.js';
import { percentile, request, startSystem, type System } from './system.js';
import { addMessages } from './seed-im.js';

/**
 * Erasure at size (issue 17, items 5 and 6): a subject with N messages (default 1,000,000), alone in
 * their conversation so that every message goes, erased through the system as a user does it: a
 * deletion request on `dsar up`, submit → completed, and the im task's own time. Baseline, same run:
 * the same rows seeded first and deleted by a bare batched DELETE through postgres.js (BATCH rows per
 * statement, what ERASE_BATCH_ROWS defaults to), then the subject's membership and the conversation, which
 * the erasure deletes too (left to the subject alone). Meanwhile, small access requests of other subjects
 * (the demo tenant's alice and bob, every feature) run one after another on LOADERS loops; their
 * submit → completed p99 during each deletion is set against their p99 on the idle system.
 */

const N = Number(process.env.N ?? 1_000_000);
const BATCH = 5000;
const LOADERS = 2;
const IDLE_REQUESTS = Number(process.env.IDLE_REQUESTS ?? 40);
const TENANT = 'acme';
const SUBJECT = 'erasure-bench-subject';
const POLL_MS = 20;
const DONE = new Set(['completed', 'partially_completed', 'failed', 'cancelled', 'rejected']);
const VERIFICATION = { method: 'sso', note: 'benchmark' };

interface Ended {
  id: string;
  status: string;
  /** The server's submit → completed (createdAt → completedAt), ms. */
  server: number;
  /** POST sent → a GET saw it end, ms. */
  client: number;
}

async function submitAndWait(system: System, type: string, accountId: string): Promise<Ended> {
  const started = performance.now();
  let { json } = await request(system, 'POST', '/v1/requests', { type, subject: { accountId }, verification: VERIFICATION });
  // A deletion the tenant reviews is approved at once, as an agent does.
  if (json.status === 'awaiting_approval') json = (await request(system, 'POST', `/v1/requests/${json.id}/approve`)).json;
  for (;;) {
    ({ json } = await request(system, 'GET', `/v1/requests/${json.id}`));
    if (DONE.has(json.status)) {
      const server = Date.parse(json.completedAt ?? '') - Date.parse(json.createdAt);
      return { id: json.id, status: json.status, server, client: performance.now() - started };
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Small access requests of other subjects, one after another on each loop, until `stop` resolves. */
async function load(system: System, stop: Promise<void>): Promise<number[]> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: LOADERS }, async (_, loop) => {
      for (let i = 0; !stopped; i++) {
        const ended = await submitAndWait(system, 'access', (i + loop) % 2 === 0 ? 'alice' : 'bob');
        if (ended.status !== 'completed') throw new Error(`an access request ended ${ended.status}`);
        times.push(ended.server);
      }
    }),
  );
  return times;
}

/** While `work` runs, the load runs too: `work`'s result and the load's times. */
async function underLoad<T>(system: System, work: () => Promise<T>): Promise<{ result: T; times: number[] }> {
  let finish = () => {};
  const loading = load(system, new Promise<void>((resolve) => (finish = resolve)));
  try {
    const result = await work();
    finish();
    return { result, times: await loading };
  } finally {
    finish();
    await loading.catch(() => undefined);
  }
}

/** The subject alone in a conversation with N messages, then vacuumed so that each run starts alike. */
async function seed(sql: Sql): Promise<{ ms: number; conversationId: string }> {
  const started = performance.now();
  const [conversation] = await sql<{ id: string }[]>`
    insert into im.conversations (tenant_id, kind, title) values (${TENANT}, 'group', 'Erasure bench') returning id`;
  await sql`insert into im.members (tenant_id, conversation_id, account_id) values (${TENANT}, ${conversation!.id}, ${SUBJECT})`;
  for (let first = 1; first <= N; first += 100_000) {
    await addMessages(sql, { tenant: TENANT, conversationId: conversation!.id, sender: SUBJECT }, first, Math.min(N, first + 99_999));
  }
  await sql`vacuum analyze im.messages`;
  return { ms: performance.now() - started, conversationId: conversation!.id };
}

/**
 * The baseline: the subject's messages deleted BATCH at a time in the index's order (a keyset), each
 * statement its own transaction; then what the erasure deletes besides, their membership and the
 * conversation (whose foreign-key check from the messages walks the deleted messages' index entries, in
 * the erasure as here).
 */
async function bareDelete(sql: Sql, conversationId: string): Promise<{ ms: number; messagesMs: number; rows: number }> {
  const started = performance.now();
  let rows = 0;
  // Each batch starts where the last one stopped, in the index's order: a batch that searched from the
  // start would walk every entry the earlier ones deleted, and the baseline would not be the floor.
  let after: { sentAt: Date; id: string } | undefined;
  for (;;) {
    const [last] = await sql<{ sentAt: Date; id: string; count: number }[]>`
      with batch as (
        select id from im.messages
        where tenant_id = ${TENANT} and sender_account_id = ${SUBJECT}
          ${after ? sql`and (sent_at, id) > (${after.sentAt}, ${after.id})` : sql``}
        order by sent_at, id limit ${BATCH}),
      deleted as (delete from im.messages m using batch where m.id = batch.id returning m.sent_at, m.id)
      select sent_at as "sentAt", id, count(*) over () :: int as count from deleted order by sent_at desc, id desc limit 1`;
    if (!last) break;
    rows += last.count;
    after = last;
  }
  const messagesMs = performance.now() - started;
  await sql`delete from im.members where conversation_id = ${conversationId} and account_id = ${SUBJECT}`;
  await sql`delete from im.conversations where id = ${conversationId}`;
  return { ms: performance.now() - started, messagesMs, rows };
}

/** The im task of the deletion: its start → finish, from the request's task row. */
async function imTaskMs(sql: Sql, requestId: string): Promise<number> {
  const [task] = await sql<{ ms: number }[]>`
    select extract(epoch from finished_at - started_at) * 1000 as ms from tasks where request_id = ${requestId} and feature = 'im'`;
  return Number(task?.ms);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const p99 = (times: number[]) => `${percentile(times, 99).toFixed(0)} ms (median ${percentile(times, 50).toFixed(0)} ms, n=${times.length})`;

async function main(): Promise<void> {
  const system = await startSystem({ RATE_LIMIT_PER_MINUTE: '1000000' });
  const sql = openSql(system.urls.databaseUrl, { max: 2, onnotice: () => {} });
  try {
    // Warm-up: pools, the JIT, the worker's start-up purge.
    for (let i = 0; i < 3; i++) await submitAndWait(system, 'access', 'alice');
    const idle: number[] = [];
    for (let i = 0; i < IDLE_REQUESTS / LOADERS; i++) {
      const ended = await Promise.all(Array.from({ length: LOADERS }, (_, loop) => submitAndWait(system, 'access', loop % 2 === 0 ? 'alice' : 'bob')));
      idle.push(...ended.map((e) => e.server));
    }

    const first = await seed(sql);
    console.log(`# seeded ${N} messages in ${seconds(first.ms)}`);
    const bare = await underLoad(system, () => bareDelete(sql, first.conversationId));
    if (bare.result.rows !== N) throw new Error(`the bare DELETE removed ${bare.result.rows} rows, not ${N}`);
    // Their space reused by the second seeding, as the first used it: both deletions scan a table of one size.
    await sql`vacuum im.messages`;

    console.log(`# seeded ${N} messages again in ${seconds((await seed(sql)).ms)}`);
    const erased = await underLoad(system, () => submitAndWait(system, 'deletion', SUBJECT));
    if (erased.result.status !== 'completed') throw new Error(`the deletion ended ${erased.result.status}`);
    const [left] = await sql`select count(*)::int as n from im.messages where sender_account_id = ${SUBJECT}`;
    if (left?.n !== 0) throw new Error(`${left?.n} messages of the subject are left`);
    const task = await imTaskMs(sql, erased.result.id);

    console.log(`\n# erasure: a subject with ${N} messages, on dsar up (ERASE_BATCH_ROWS default), ${LOADERS} loops of access requests meanwhile\n`);
    console.log('| | time | / bare DELETE |\n| --- | ---: | ---: |');
    console.log(`| baseline: bare batched DELETE (${BATCH} rows per statement in the index's order, postgres.js), then the membership and the conversation | ${seconds(bare.result.ms)} | 1.00× |`);
    console.log(`| of which the messages | ${seconds(bare.result.messagesMs)} | ${(bare.result.messagesMs / bare.result.ms).toFixed(2)}× |`);
    console.log(`| deletion request, submit → completed (server; every feature, the re-scan, the receipt) | ${seconds(erased.result.server)} | ${(erased.result.server / bare.result.ms).toFixed(2)}× |`);
    console.log(`| its im task (the erasure of the messages), start → finish | ${seconds(task)} | ${(task / bare.result.ms).toFixed(2)}× |`);
    console.log('\n| access requests of other subjects, submit → completed | p99 |\n| --- | ---: |');
    console.log(`| idle system | ${p99(idle)} |`);
    console.log(`| during the bare DELETE | ${p99(bare.times)} |`);
    console.log(`| during the erasure | ${p99(erased.times)} |`);
    console.log(`\nerasure (request) / bare DELETE: ${(erased.result.server / bare.result.ms).toFixed(2)}× (target ≤ 1.2×)`);
    console.log(`p99 during the erasure / idle p99: ${(percentile(erased.times, 99) / percentile(idle, 99)).toFixed(2)}×`);
  } finally {
    await sql.end();
    await system.stop();
  }
}

await main();
