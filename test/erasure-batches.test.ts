import { buffer } from 'node:stream/consumers';
import t, { type Test } from 'tap';
import pino from 'pino';
import type { AdapterContext, ErasureOutcome } from '../src/features/adapter.js';
import { runAssembly } from '../src/tasks/assembly-task.js';
import { runFeatureTask } from '../src/tasks/feature-task.js';
import { parseDeletionReceipt } from '../src/results/receipt/deletion-receipt.js';
import { createRequest, startSystem } from './helper.js';

// Erasure at size (issue 17, item 5): a subject is erased a batch of ERASE_BATCH_ROWS rows per
// transaction. A row of the erasure held by someone else stops it mid-way; its batch is then
// cancelled by Postgres, rolled back as when a worker dies (killing the backend instead trips
// porsager/postgres#1154, a write after close, see src/db/client.ts); the task run again goes on with
// the decisions the first run committed and the receipt accounts for every row. Meanwhile only the
// batch's own rows are locked.

const log = pino({ level: 'silent' });
const BATCH = 7;
const sys = await startSystem(t, { ERASE_BATCH_ROWS: String(BATCH) }, { worker: false });
const sql = sys.ctx.featureSql('im');
const subject = { tenantId: 'acme', accountId: 'bulk' };

// A conversation only the subject is still in (everything in it goes, alice's old messages too) and
// one shared with alice (the subject's messages stay for her, without their author).
const [alone] = await sql`insert into im.conversations (tenant_id, kind, title) values ('acme', 'group', 'Left alone') returning id`;
const [shared] = await sql`insert into im.conversations (tenant_id, kind, title) values ('acme', 'group', 'With alice') returning id`;
await sql`
  insert into im.members (tenant_id, conversation_id, account_id) values
  ('acme', ${alone!.id}, 'bulk'), ('acme', ${shared!.id}, 'bulk'), ('acme', ${shared!.id}, 'alice')`;
const addMessages = (conversation: string, sender: string, n: number) => sql`
  insert into im.messages (tenant_id, conversation_id, sender_account_id, kind, body, sent_at)
  select 'acme', ${conversation}, ${sender}, 'text', 'message ' || i, now() - i * interval '1 minute' from generate_series(1, ${n}) as g(i)`;
await addMessages(alone!.id, 'bulk', 60);
await addMessages(alone!.id, 'alice', 5);
await addMessages(shared!.id, 'bulk', 40);
await addMessages(shared!.id, 'alice', 10);
await sql`
  insert into im.devices (tenant_id, account_id, device_id, last_seen_at)
  select 'acme', 'bulk', 'device-' || i, now() from generate_series(1, 3) as g(i)`;

/** The messages the erasure handles, in the order its batches take them (their place in the table). */
const erased = await sql<{ id: string; alone: boolean }[]>`
  select id, conversation_id = ${alone!.id} as alone from im.messages
  where conversation_id = ${alone!.id} or sender_account_id = 'bulk' order by ctid`;

const deletion = await createRequest(sys, { type: 'deletion', subject: { accountId: subject.accountId } });

/** The erasure's backend while it waits for a row lock, once it does. */
async function waitingErasure(): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = await sql`
      select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%erasures.planned_rows%'`;
    if (row) return Number(row.pid);
    if (Date.now() > deadline) throw new Error('the erasure never waited for the held row');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The subject's deletion request and the im adapter's erasure for it, planned and then stopped at its
 * first batch of messages (every one of the subject's held): what a worker stopped there leaves.
 */
async function plannedAndStopped(t: Test, accountId: string) {
  const resolved = await sys.ctx.resolveAdapter('acme', 'im');
  if (resolved.kind !== 'built_in') throw new Error('im has its built-in adapter');
  const request = await createRequest(sys, { type: 'deletion', subject: { accountId } });
  const ctx: AdapterContext = { sql, blobs: sys.ctx.featureBlobs, log, requestId: request.id, eraseBatchRows: BATCH };
  const erase = () => resolved.adapter.erase({ tenantId: 'acme', accountId }, ctx);
  await sql.begin(async (tx) => {
    await tx`select id from im.messages where sender_account_id = ${accountId} for update`;
    const running = erase();
    running.catch(() => undefined);
    await sql`select pg_cancel_backend(${await waitingErasure()})`;
    await t.rejects(running, 'stopped before any message was erased');
  });
  return { request, erase };
}

t.test('an erasure stopped mid-way, between batches', async (t) => {
  t.ok(await sys.ctx.repo.moveRequest(deletion.id, 'start'), 'the request started');
  t.ok(await sys.ctx.repo.moveTask(deletion.id, 'im', 'start'), 'the im task started');
  const resolved = await sys.ctx.resolveAdapter('acme', 'im');
  if (resolved.kind !== 'built_in') throw new Error('im has its built-in adapter');
  const ctx: AdapterContext = { sql, blobs: sys.ctx.featureBlobs, log, requestId: deletion.id, eraseBatchRows: BATCH };
  // Someone holds the 50th message in the table: the batches before the one that takes it commit, that one waits.
  const held = erased[7 * BATCH]!;
  await sql.begin(async (tx) => {
    await tx`select id from im.messages where id = ${held.id} for update`;
    const running = resolved.adapter.erase(subject, ctx);
    running.catch(() => undefined);
    const pid = await waitingErasure();

    // Messages are planned by conversation: each batch takes the next rows its conversations still have to erase.
    const [progress] = await sql`select outcome from erasures.runs where request_id = ${deletion.id} and feature = 'im'`;
    const messages = (progress!.outcome as ErasureOutcome[]).find((o) => o.dataset === 'messages')!;
    const committed = messages.deleted + messages.anonymized;
    t.ok(committed >= BATCH && committed % BATCH === 0, 'whole batches of messages committed before the held row, each with its counts');
    const [left] = await sql`
      select count(*)::int as n from erasures.planned_rows where run = (select id from erasures.runs where request_id = ${deletion.id})
      and dataset = 'messages'`;
    t.equal(left!.n, 2, 'the rest of the plan waits: both conversations');
    const [done] = await sql`
      select count(*) filter (where m.id is null)::int as gone, count(*) filter (where m.id is not null and m.sender_account_id is null)::int as cleared
      from unnest(${erased.map((m) => m.id)}::uuid[]) as e(id) left join im.messages m on m.id = e.id`;
    t.same([done!.gone, done!.cleared], [messages.deleted, messages.anonymized], "the committed batches' rows are gone or cleared, as their counts say");

    // Rows other people use are not held beyond a batch: alice's messages, and the subject's ones a batch already anonymized.
    const free = await sql.begin(async (other) => {
      await other`set local lock_timeout = '1s'`;
      const alices = await other`update im.messages set body = body where conversation_id = ${shared!.id} and sender_account_id = 'alice'`;
      const cleared = await other`
        update im.messages set body = body where id = any(${erased.filter((m) => !m.alone).map((m) => m.id)}::uuid[]) and sender_account_id is null`;
      return alices.count + cleared.count;
    });
    t.ok(free >= 10, 'rows of others and rows of committed batches are written meanwhile, without waiting');

    // The erasure stops there: its open batch is rolled back, the committed ones stay.
    await sql`select pg_cancel_backend(${pid})`;
    await t.rejects(running, 'the stopped erasure failed');
  });
  const [task] = (await sys.ctx.repo.tasksOf(deletion.id)).filter((task) => task.feature === 'im');
  t.equal(task?.status, 'running', 'left as a crash leaves it');
  const [bulk] = await sql`select count(*)::int as n from im.messages where sender_account_id = 'bulk'`;
  t.ok(bulk!.n > 0, 'part of the subject is still there');
});

t.test('run again, the erasure goes on and the receipt accounts for every row', async (t) => {
  for (const task of await sys.ctx.repo.tasksOf(deletion.id)) {
    await runFeatureTask({ ...sys.ctx, log }, deletion.id, task.feature, { number: 2, last: true });
  }
  const im = (await sys.ctx.repo.tasksOf(deletion.id)).find((task) => task.feature === 'im')!;
  t.equal(im.status, 'completed', 'the rerun completed the im task');
  const outcome = Object.fromEntries((im.outcome as ErasureOutcome[]).map((o) => [o.dataset, [o.deleted, o.anonymized, o.kept]]));
  t.same(
    outcome,
    { conversations: [1, 0, 1], memberships: [2, 0, 0], messages: [65, 40, 0], attachments: [0, 0, 0], devices: [3, 0, 0] },
    'every row counted once: deleted, anonymized or kept, across both runs',
  );

  const [subjects] = await sql`select count(*)::int as n from im.messages where sender_account_id = 'bulk'`;
  t.equal(subjects!.n, 0, 'no message names the subject');
  const [inAlone] = await sql`select count(*)::int as n from im.messages where conversation_id = ${alone!.id}`;
  t.equal(inAlone!.n, 0, 'the conversation left to the subject alone is empty');
  const [conversation] = await sql`select count(*)::int as n from im.conversations where id = ${alone!.id}`;
  t.equal(conversation!.n, 0, 'and gone');
  const kept = await sql`select sender_account_id as sender, count(*)::int as n from im.messages where conversation_id = ${shared!.id} group by 1 order by 1`;
  t.same(kept, [{ sender: 'alice', n: 10 }, { sender: null, n: 40 }], "alice keeps her messages and the subject's, without their author");
  const [devices] = await sql`select count(*)::int as n from im.devices where account_id = 'bulk'`;
  t.equal(devices!.n, 0, 'the devices are gone');
  const [runs] = await sql`select (select count(*) from erasures.runs)::int as runs, (select count(*) from erasures.planned_rows)::int as planned`;
  t.same(runs, { runs: 0, planned: 0 }, 'the run and its plan are gone with it');

  await runAssembly({ ...sys.ctx, log }, deletion.id, true);
  const request = (await sys.ctx.repo.findById(deletion.id))!;
  t.equal(request.status, 'completed', 'the deletion completed: the re-scan found what the receipt says');
  const receipt = parseDeletionReceipt(await buffer(sys.ctx.results.get(request.resultKey!)));
  const messages = receipt.features.find((f) => f.id === 'im')!.datasets.find((d) => d.dataset === 'messages')!;
  t.same([messages.deleted, messages.anonymized, messages.kept], [65, 40, 0], 'the receipt gives the counts');
});

t.test("another subject's erasure in the tenant waits until a run under way has ended", async (t) => {
  // dora and erin share a chat: erased together, each must see the other gone, not keep it for the other.
  const [chat] = await sql`insert into im.conversations (tenant_id, kind, title) values ('acme', 'direct', null) returning id`;
  await sql`insert into im.members (tenant_id, conversation_id, account_id) values ('acme', ${chat!.id}, 'dora-x'), ('acme', ${chat!.id}, 'erin-x')`;
  await addMessages(chat!.id, 'dora-x', 30);
  await addMessages(chat!.id, 'erin-x', 30);
  const resolved = await sys.ctx.resolveAdapter('acme', 'im');
  if (resolved.kind !== 'built_in') throw new Error('im has its built-in adapter');
  const ctxOf = (requestId: string): AdapterContext => ({ sql, blobs: sys.ctx.featureBlobs, log, requestId, eraseBatchRows: BATCH });
  const dora = await createRequest(sys, { type: 'deletion', subject: { accountId: 'dora-x' } });
  const erin = await createRequest(sys, { type: 'deletion', subject: { accountId: 'erin-x' } });
  const [doras] = await sql`select id from im.messages where sender_account_id = 'dora-x' order by ctid offset ${2 * BATCH} limit 1`;
  let erinsRun: Promise<ErasureOutcome[]> | undefined;
  // In an object: a promise returned would be awaited before the lock is let go.
  const { dorasRun } = await sql.begin(async (tx) => {
    await tx`select id from im.messages where id = ${doras!.id} for update`;
    const running = resolved.adapter.erase({ tenantId: 'acme', accountId: 'dora-x' }, ctxOf(dora.id));
    running.catch(() => undefined);
    await waitingErasure();
    erinsRun = resolved.adapter.erase({ tenantId: 'acme', accountId: 'erin-x' }, ctxOf(erin.id));
    erinsRun.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const runs = await sql`select request_id from erasures.runs order by id`;
    t.same(runs.map((r) => r.request_id), [dora.id], "erin's erasure has decided nothing while dora's is under way");
    return { dorasRun: running };
  });
  const doraErased = await dorasRun;
  const erinErased = await erinsRun!;
  const messagesOf = (outcome: ErasureOutcome[]) => outcome.find((o) => o.dataset === 'messages')!;
  t.same([messagesOf(doraErased).deleted, messagesOf(doraErased).anonymized], [0, 30], "dora's messages stay for erin, without their author");
  t.same([messagesOf(erinErased).deleted, messagesOf(erinErased).anonymized], [60, 0], 'erin, left alone, takes the whole chat with her');
  const [left] = await sql`select count(*)::int as n from im.messages where conversation_id = ${chat!.id}`;
  t.equal(left!.n, 0, 'nothing of the chat is left for nobody');
});

t.test('a run planned a row per message (before messages were planned by conversation) goes on by row', async (t) => {
  // What an older version left mid-way: its runs row names no dataset planned by group, and its plan
  // has a row per message. Taken up by this version, those ids must not be read as conversations'.
  const [own] = await sql`insert into im.conversations (tenant_id, kind, title) values ('acme', 'group', 'Only fay') returning id`;
  const [both] = await sql`insert into im.conversations (tenant_id, kind, title) values ('acme', 'group', 'Fay and alice') returning id`;
  await sql`
    insert into im.members (tenant_id, conversation_id, account_id) values
    ('acme', ${own!.id}, 'fay-x'), ('acme', ${both!.id}, 'fay-x'), ('acme', ${both!.id}, 'alice')`;
  await addMessages(own!.id, 'fay-x', 20);
  await addMessages(both!.id, 'fay-x', 15);
  await addMessages(both!.id, 'alice', 3);
  const { request: fay, erase } = await plannedAndStopped(t, 'fay-x');
  // Rewritten as the older version planned it.
  const [run] = await sql`update erasures.runs set by_group = '{}' where request_id = ${fay.id} and feature = 'im' returning id`;
  await sql`delete from erasures.planned_rows where run = ${run!.id} and dataset = 'messages'`;
  await sql`
    insert into erasures.planned_rows (run, dataset, at, id, shared)
    select ${run!.id}, 'messages', row_number() over (order by ctid), id, conversation_id = ${both!.id} from im.messages
    where conversation_id = ${own!.id} or (conversation_id = ${both!.id} and sender_account_id = 'fay-x')`;

  const erased = await erase();
  const messages = erased.find((o) => o.dataset === 'messages')!;
  t.same([messages.deleted, messages.anonymized], [20, 15], 'her own chat deleted, her messages to alice cleared of her');
  const left = await sql`select sender_account_id as sender, count(*)::int as n from im.messages where conversation_id in ${sql([own!.id, both!.id])} group by 1 order by 1`;
  t.same(left, [{ sender: 'alice', n: 3 }, { sender: null, n: 15 }], 'nothing names fay; alice keeps the chat');
});

t.test('a batch whose run has no count of its dataset erases nothing', async (t) => {
  // A batch adds its counts to the run in the statement that erases: rows it could not count must stay.
  const [chat] = await sql`insert into im.conversations (tenant_id, kind, title) values ('acme', 'group', 'Only hal') returning id`;
  await sql`insert into im.members (tenant_id, conversation_id, account_id) values ('acme', ${chat!.id}, 'hal-x')`;
  await addMessages(chat!.id, 'hal-x', 10);
  const { request: hal, erase } = await plannedAndStopped(t, 'hal-x');
  await sql`
    update erasures.runs set outcome = (select jsonb_agg(o) from jsonb_array_elements(outcome) as e(o) where o->>'dataset' <> 'messages')
    where request_id = ${hal.id}`;
  await t.rejects(erase(), /has no messages/, 'the batch refuses');
  const [left] = await sql`select count(*)::int as n from im.messages where sender_account_id = 'hal-x'`;
  t.equal(left!.n, 10, 'and its rows stay');
  // The batches' reserved connection goes back to the pool with the refused batch rolled back, not left open.
  const [open] = await sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`;
  t.equal(open!.n, 0, 'no transaction is left open');
  await sql`delete from erasures.planned_rows where run in (select id from erasures.runs where request_id = ${hal.id})`;
  await sql`delete from erasures.runs where request_id = ${hal.id}`;
});
