import t from 'tap';
import pino from 'pino';
import { runAssembly } from '../src/tasks/assembly-task.js';
import { runFeatureTask } from '../src/tasks/feature-task.js';
import { auth, createRequest, startSystem } from './helper.js';

// A task's JSON columns come back from the database untyped: a record that is not what the worker
// wrote fails the assembly that reads it, rather than laying a result out from it.
// The worker is off: the test runs the jobs itself.

const log = pino({ level: 'silent' });
const sys = await startSystem(t, {}, { worker: false });
const { ctx } = sys;

t.test("a task's malformed datasets fail its request's assembly: no result is laid out from them", async (t) => {
  const request = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' } });
  for (const task of await ctx.repo.tasksOf(request.id)) {
    await runFeatureTask({ ...ctx, log }, request.id, task.feature, { number: 1, last: true });
  }
  // A dataset without its title: laid out, its heading would read "undefined".
  await ctx.database.sql`update tasks set datasets = datasets #- '{0,title}' where request_id = ${request.id} and feature = 'im'`;

  await t.rejects(runAssembly({ ...ctx, log }, request.id, true), /recorded datasets are malformed/);
  const res = await sys.app.inject({ method: 'GET', url: `/v1/requests/${request.id}`, headers: auth(sys.keys.acme) });
  t.equal(res.json().status, 'failed', 'the request failed on its last attempt');
  const report = await sys.app.inject({ method: 'GET', url: `/v1/requests/${request.id}/report`, headers: auth(sys.keys.acme) });
  t.not(report.statusCode, 200, 'no report is served');
  const row = await ctx.repo.findById(request.id);
  t.equal(row?.error, 'the result could not be assembled', 'the record says why');
  t.equal(row?.resultKey, null, 'no result on record');
});
