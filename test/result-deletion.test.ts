import t from 'tap';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';
import { partialKey, workPrefix } from '../src/blobs/keys.js';
import { runAssembly } from '../src/tasks/assembly-task.js';
import { readSpoolIndex } from '../src/results/partials/partials.js';

// Personal data in the results store goes when it is no longer needed: a subject's earlier results
// when their data is erased, and a cancelled request's work files.
const sys = await startSystem(t);
const { app, keys, ctx } = sys;

const get = (url: string, key: string | undefined = keys.acme) =>
  app.inject({ method: 'GET', url, headers: key ? auth(key) : {} });

async function run(body: object, key = keys.acme) {
  return waitForEnd(sys, (await createRequest(sys, body, key)).id, key);
}

async function linkPath(id: string, key = keys.acme): Promise<string> {
  const res = await app.inject({ method: 'POST', url: `/v1/requests/${id}/links`, headers: auth(key), payload: {} });
  if (res.statusCode !== 201) throw new Error(`link: ${res.statusCode} ${res.body}`);
  return new URL(res.json().url).pathname;
}

/** Every file the store holds under a prefix, on disk (the store is encrypted over a directory). */
async function filesUnder(prefix: string): Promise<string[]> {
  return readdir(path.join(ctx.config.resultsDir, prefix), { recursive: true }).catch(() => []);
}

async function until(check: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test("a completed deletion deletes the subject's earlier results; their links answer 410", async (t) => {
  const access = await run({ type: 'access', subject: { accountId: 'alice' }, features: ['im', 'clock-in'] });
  const exported = await run({ type: 'export', subject: { accountId: 'alice' }, features: ['im'] });
  const others = await run({ type: 'access', subject: { accountId: 'bob' }, features: ['clock-in'] });
  const otherTenant = await run({ type: 'access', subject: { accountId: 'alice' }, features: ['clock-in'] }, keys.globex);
  const earlier = [access, exported];
  const keysOf = await Promise.all(earlier.map(async (r) => (await ctx.repo.findById(r.id))!.resultKey!));
  const links = await Promise.all(earlier.map((r) => linkPath(r.id)));
  for (const link of links) t.equal((await get(link, undefined)).statusCode, 200, 'the link works before');

  const deletion = await run({ type: 'deletion', subject: { accountId: 'alice' }, features: ['im', 'clock-in'] });
  t.equal(deletion.status, 'completed');

  for (const [i, request] of earlier.entries()) {
    const view = (await get(`/v1/requests/${request.id}`)).json();
    t.equal(view.status, 'erased', `the ${request.type} request says its result was erased`);
    t.notOk(view.result, 'and offers no result');
    const report = await get(`/v1/requests/${request.id}/report`);
    t.equal(report.statusCode, 410);
    t.match(report.json(), { status: 410, title: 'Gone', detail: /erased/ });
    t.equal((await get(links[i]!, undefined)).statusCode, 410, 'a link sent before answers 410');
    const again = await app.inject({ method: 'POST', url: `/v1/requests/${request.id}/links`, headers: auth(keys.acme), payload: {} });
    t.equal(again.statusCode, 410, 'no new link can be made');
    t.equal(await ctx.results.size(keysOf[i]!), undefined, 'the bytes are gone');
    t.same(await filesUnder(`results/${request.id}`), [], 'nothing of it is left on disk');
    const erased = (await ctx.repo.events(request.id)).find((e) => e.kind === 'erased');
    t.match(erased, { detail: { deletionRequestId: deletion.id } }, 'the trail says which deletion erased it');
  }
  t.equal((await get(`${links[0]}/view/index.html`, undefined)).statusCode, 410, 'nor view the report through a link');
  t.equal((await get(`/v1/requests/${access.id}/report/view/index.html`)).statusCode, 410, 'the owner cannot view it either');

  t.equal((await get(`/v1/requests/${deletion.id}/report`)).statusCode, 200, 'the deletion receipt stays');
  t.equal((await get(`/v1/requests/${deletion.id}/receipt`)).statusCode, 200);
  t.equal((await get(`/v1/requests/${others.id}/report`)).statusCode, 200, "another subject's result stays");
  t.equal((await get(`/v1/requests/${otherTenant.id}/report`, keys.globex)).statusCode, 200, "another tenant's alice keeps hers");

  // A new access request after the deletion is not an earlier one: a repeated assembly of the deletion leaves it.
  const later = await run({ type: 'access', subject: { accountId: 'alice' }, features: ['clock-in'] });
  await runAssembly({ ...ctx, log: ctx.log }, deletion.id, true);
  t.equal((await get(`/v1/requests/${later.id}/report`)).statusCode, 200, 'a later result stays');
  t.equal((await get(`/v1/requests/${access.id}`)).json().status, 'erased', 'and repeating it changes nothing');
});

t.test("cancelling a request deletes its work files (the partials of the tasks that ran)", async (t) => {
  const put = (adapter: string) =>
    app.inject({ method: 'PUT', url: '/v1/tenant/features/clock-in', headers: auth(keys.acme), payload: { enabled: true, adapter } });
  t.equal((await put('manual')).statusCode, 200);
  t.teardown(() => put('built_in'));
  const req = await createRequest(sys, { type: 'access', subject: { accountId: 'carol' }, features: ['im', 'clock-in'] });
  await until(async () => (await get(`/v1/requests/${req.id}`)).json().status === 'action_required', 'action_required');
  t.ok(await readSpoolIndex(ctx.results, partialKey(req.id, 'im')), 'the automated task left its partial for the assembly');
  t.not((await filesUnder(workPrefix(req.id))).length, 0);

  const cancelled = await app.inject({ method: 'POST', url: `/v1/requests/${req.id}/cancel`, headers: auth(keys.acme) });
  t.equal(cancelled.json().status, 'cancelled');
  await until(async () => (await filesUnder(workPrefix(req.id))).length === 0, 'the work files deleted');
  t.equal(await readSpoolIndex(ctx.results, partialKey(req.id, 'im')), undefined, 'the partial is gone from the results store');
});
