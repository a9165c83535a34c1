import { randomUUID } from 'node:crypto';
import t from 'tap';
import { eq } from 'drizzle-orm';
import { connect } from '../src/db/client.js';
import {
  closingTransition,
  isTaskOpen,
  REQUEST_STATUSES,
  REQUEST_TRANSITIONS,
  TASK_STATUSES,
  TASK_TRANSITIONS,
  type RequestStatus,
  type RequestTransitionName,
  type TaskStatus,
  type TaskTransitionName,
  type Transition,
} from '../src/requests/lifecycle.js';
import { RequestRepository } from '../src/requests/repository.js';
import { requests, tasks, type TaskRow } from '../src/requests/tables.js';
import { tenants } from '../src/tenants/tables.js';
import { createTestDatabase } from './helper.js';

// The transition table is the only way a status changes: every transition is tried from every status,
// and only those it starts from move; two transitions racing for one request, only one wins.

const database = connect(await createTestDatabase(t));
t.teardown(() => database.close());
const { db } = database;
const repo = new RequestRepository(db);
await db.insert(tenants).values({ id: 'lifecycle', name: 'Lifecycle', features: [] }).onConflictDoNothing();

async function requestIn(status: RequestStatus): Promise<string> {
  const [row] = await db
    .insert(requests)
    .values({
      tenantId: 'lifecycle',
      type: 'access',
      status,
      // Open requests are one per subject and type: each its own subject.
      subjectAccountId: `someone-${randomUUID()}`,
      features: [],
      catalogueVersion: 'test',
      dueAt: new Date(Date.now() + 86_400_000),
    })
    .returning({ id: requests.id });
  return row!.id;
}

async function statusOf(id: string): Promise<RequestStatus | undefined> {
  const [row] = await db.select({ status: requests.status }).from(requests).where(eq(requests.id, id));
  return row?.status;
}

const eventsOf = async (id: string) => (await repo.events(id)).map((e) => e.kind);

t.test('the table names only known statuses', async (t) => {
  for (const [name, transition] of Object.entries(REQUEST_TRANSITIONS) as [string, Transition<RequestStatus, string>][]) {
    t.ok(transition.from.length > 0 && transition.from.every((s) => REQUEST_STATUSES.includes(s)), `request ${name}: from`);
    t.ok(REQUEST_STATUSES.includes(transition.to), `request ${name}: to`);
  }
  for (const [name, transition] of Object.entries(TASK_TRANSITIONS) as [string, Transition<TaskStatus, string>][]) {
    t.ok(transition.from.length > 0 && transition.from.every((s) => TASK_STATUSES.includes(s)), `task ${name}: from`);
    t.ok(TASK_STATUSES.includes(transition.to), `task ${name}: to`);
  }
});

t.test('how a request closes, and which tasks are still open', async (t) => {
  const tasksIn = (...statuses: TaskStatus[]) => statuses.map((status) => ({ status }));
  t.equal(closingTransition(tasksIn('completed', 'not_automated')), 'complete', 'nothing failed');
  t.equal(closingTransition(tasksIn('completed', 'failed')), 'completePartially', 'some failed');
  t.equal(closingTransition(tasksIn('failed', 'failed')), 'fail', 'all failed');
  t.equal(closingTransition(tasksIn('failed', 'not_automated')), 'completePartially', 'failed beside one not automated');
  t.same(
    TASK_STATUSES.filter(isTaskOpen),
    ['pending', 'running', 'action_required'],
    'open: waiting for its job or for an agent',
  );
});

t.test('a request moves only from the statuses its transition starts from', async (t) => {
  for (const name of Object.keys(REQUEST_TRANSITIONS) as RequestTransitionName[]) {
    const transition: Transition<RequestStatus, string> = REQUEST_TRANSITIONS[name];
    for (const status of REQUEST_STATUSES) {
      const id = await requestIn(status);
      const moved = await repo.moveRequest(id, name);
      const allowed = transition.from.includes(status);
      if (allowed) {
        t.equal(moved?.status, transition.to, `${name} from ${status}: moves`);
        t.same(await eventsOf(id), [transition.event ?? transition.to], `${name} from ${status}: recorded (its event, or its new status)`);
        if (transition.stamp) t.ok(moved?.completedAt instanceof Date, `${name} from ${status}: stamped`);
      } else {
        t.equal(moved, undefined, `${name} from ${status}: refused`);
        t.equal(await statusOf(id), status, `${name} from ${status}: unchanged`);
        t.same(await eventsOf(id), [], `${name} from ${status}: nothing recorded`);
      }
    }
  }
});

t.test('a task moves only from the statuses its transition starts from', async (t) => {
  const requestId = await requestIn('processing');
  let n = 0;
  for (const name of Object.keys(TASK_TRANSITIONS) as TaskTransitionName[]) {
    const transition: Transition<TaskStatus, 'startedAt' | 'finishedAt'> = TASK_TRANSITIONS[name];
    for (const status of TASK_STATUSES) {
      const feature = `feature-${++n}`;
      await db.insert(tasks).values({ requestId, feature, status });
      const before = (await repo.events(requestId)).length;
      const moved = await repo.moveTask(requestId, feature, name);
      const recorded = (await repo.events(requestId)).slice(before).map((e) => [e.kind, e.feature]);
      if (transition.from.includes(status)) {
        t.equal(moved?.status, transition.to, `${name} from ${status}: moves`);
        t.same(recorded, transition.event ? [[transition.event, feature]] : [], `${name} from ${status}: its event`);
        if (transition.stamp) t.ok(moved?.[transition.stamp] instanceof Date, `${name} from ${status}: stamped`);
      } else {
        t.equal(moved, undefined, `${name} from ${status}: refused`);
        t.equal((await repo.task(requestId, feature))?.status, status, `${name} from ${status}: unchanged`);
        t.same(recorded, [], `${name} from ${status}: nothing recorded`);
      }
    }
  }
});

t.test("all of a request's tasks: only those the transition starts from move", async (t) => {
  const requestId = await requestIn('processing');
  for (const status of TASK_STATUSES) await db.insert(tasks).values({ requestId, feature: status, status });
  const moved = await repo.moveTasks(requestId, 'cancel');
  t.same(moved.map((task) => task.feature).sort(), [...TASK_TRANSITIONS.cancel.from].sort());
  for (const task of await repo.tasksOf(requestId)) {
    const expected = (TASK_TRANSITIONS.cancel.from as readonly string[]).includes(task.feature) ? 'cancelled' : task.feature;
    t.equal(task.status, expected, task.feature);
  }
});

t.test('two cancels at once: one wins', async (t) => {
  for (let i = 0; i < 5; i++) {
    const id = await requestIn('queued');
    const outcomes = await Promise.all([repo.moveRequest(id, 'cancel'), repo.moveRequest(id, 'cancel')]);
    t.equal(outcomes.filter(Boolean).length, 1, `round ${i}: one cancel moved it`);
    t.same(await eventsOf(id), ['cancelled'], `round ${i}: recorded once`);
  }
});

t.test('a cancel racing the completion: one wins, and a refused completion records no result', async (t) => {
  const result = {
    key: 'results/x/a.zip',
    mediaType: 'application/zip',
    size: 3,
    sha256: 'abc',
    parts: [
      { key: 'results/x/a.part1.zip', fileName: 'a.part1.zip', size: 2, sha256: 'ab' },
      { key: 'results/x/a.part2.zip', fileName: 'a.part2.zip', size: 1, sha256: 'c' },
    ],
  };
  for (let i = 0; i < 5; i++) {
    const id = await requestIn('processing');
    const [cancelled, completed] = await Promise.all([
      repo.moveRequest(id, 'cancel'),
      repo.closeWithResult(id, 'complete', result, new Date()),
    ]);
    t.ok(Boolean(cancelled) !== Boolean(completed), `round ${i}: exactly one moved it`);
    const status = await statusOf(id);
    t.equal(status, cancelled ? 'cancelled' : 'completed', `round ${i}: the winner's status`);
    t.equal((await repo.parts(id)).length, completed ? 2 : 0, `round ${i}: parts recorded only with the completion`);
    t.equal((await repo.findById(id))?.resultKey ?? null, completed ? result.key : null, `round ${i}: result only with the completion`);
  }
});

t.test('a result is recorded with the transition that closes the request', async (t) => {
  const id = await requestIn('processing');
  const completedAt = new Date('2026-01-02T03:04:05Z');
  const closed = await repo.closeWithResult(id, 'completePartially', { key: 'results/y/r.zip', mediaType: 'application/zip', size: 9, sha256: 'f', parts: [] }, completedAt);
  t.match(closed, { status: 'partially_completed', resultKey: 'results/y/r.zip', resultSize: 9, completedAt });
  t.same(await repo.parts(id), []);
  t.equal(await repo.closeWithResult(id, 'complete', { key: 'results/y/s.zip', mediaType: 'application/zip', size: 1, sha256: 'e', parts: [] }, new Date()), undefined, 'closed once');
  t.equal((await repo.findById(id))?.resultKey, 'results/y/r.zip', 'the first result stays on record');
});

t.test('a request read with its tasks in one statement: the same rows as read apart, in the same order', async (t) => {
  const requestId = await requestIn('processing');
  const startedAt = new Date('2026-01-02T03:04:05.678Z');
  await db.insert(tasks).values([
    { requestId, feature: 'im', status: 'completed', counts: { messages: 3 }, outcome: { messages: 'deleted' }, datasets: [], adapter: 'built_in', attempts: 2, startedAt, finishedAt: new Date() },
    { requestId, feature: 'calendar', status: 'failed', error: 'timed out', attempts: 1, startedAt },
    { requestId, feature: 'email', status: 'pending' },
  ]);
  const read = await repo.findWithTasks('lifecycle', requestId);
  t.same(read?.request, await repo.find('lifecycle', requestId), 'the request');
  const apart = await repo.tasksOf(requestId);
  const shown = ({ feature, status, counts, error, startedAt, finishedAt }: TaskRow) => ({ feature, status, counts, error, startedAt, finishedAt });
  t.strictSame(read?.tasks, apart.map(shown), "its tasks' shown fields, each decoded as drizzle decodes a row (timestamps as Dates)");
  t.same(read?.tasks.map((task) => task.feature), ['calendar', 'email', 'im'], 'by feature');
  t.equal(read?.tasks[0]?.startedAt?.getTime(), startedAt.getTime(), 'a timestamp read back to the millisecond');
  t.equal(await repo.findWithTasks('another-tenant', requestId), undefined, "another tenant's request is not found");
});
