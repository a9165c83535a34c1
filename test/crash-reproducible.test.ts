import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import t, { type Test } from 'tap';
import pino from 'pino';
import type { ClosingResult, RequestRepository } from '../src/requests/repository.js';
import type { ErasureOutcome } from '../src/features/adapter.js';
import { runAssembly } from '../src/tasks/assembly-task.js';
import { runFeatureTask } from '../src/tasks/feature-task.js';
import { recordedErasure } from '../src/features/erasures/records.js';
import { parseDeletionReceipt, type DeletionReceipt } from '../src/results/receipt/deletion-receipt.js';
import { resultTimeOf } from '../src/results/report-model.js';
import { auth, createRequest, startSystem, type TestSystem } from './helper.js';
import { ZipFile } from './zip.js';

// Crash-reproducible results (issue 14): an assembly killed before it recorded its result and run
// again writes the same bytes, whenever it runs; an erasure killed after it committed and run again
// reports what it erased, and the deletion's receipt says what an uninterrupted one says.
// The worker is off: the test runs the jobs itself, and stops them where a crash would.

const log = pino({ level: 'silent' });
const sys = await startSystem(t, {}, { worker: false });
// Parts smaller than RESULT_PART_BYTES allows, so that an export is split into several.
const ctx = { ...sys.ctx, config: { ...sys.ctx.config, resultPartBytes: 64 * 1024 } };

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function runTasks(s: TestSystem, id: string): Promise<void> {
  for (const task of await s.ctx.repo.tasksOf(id)) {
    await runFeatureTask({ ...s.ctx, log }, id, task.feature, { number: 1, last: true });
  }
}

interface Written {
  result: ClosingResult;
  bytes: Buffer[];
}

/** An assembly that dies once its result is written, before it is recorded: the request stays `processing`. */
async function assemblyKilledBeforeRecording(t: Test, id: string): Promise<Written> {
  let written: Written | undefined;
  const repo = Object.create(ctx.repo) as RequestRepository;
  repo.closeWithResult = async (_id, _name, result) => {
    written = { result, bytes: await Promise.all(result.parts.map((p) => buffer(ctx.results.get(p.key)))) };
    throw new Error('killed');
  };
  await t.rejects(runAssembly({ ...ctx, log, repo }, id, false), /killed/);
  const request = await ctx.repo.findById(id);
  t.equal(request?.status, 'processing', 'left as a crash leaves it');
  t.equal(request?.resultSha256, null, 'no result on record');
  if (!written) throw new Error('the assembly never got to record its result');
  return written;
}

/** The assembly run again: what it records and serves is what the killed run wrote, byte for byte. */
async function assembleAgain(t: Test, id: string, killed: Written): Promise<void> {
  await runAssembly({ ...ctx, log }, id, true);
  const request = await ctx.repo.findById(id);
  t.equal(request?.resultSha256, killed.result.sha256, 'the same SHA-256 on record');
  const parts = await ctx.repo.parts(id);
  t.same(
    parts.map((p) => p.sha256),
    killed.result.parts.map((p) => p.sha256),
    'every part the same',
  );
  const stored = await Promise.all(parts.map((part) => buffer(ctx.results.get(part.key))));
  t.ok(
    stored.every((bytes, i) => bytes.equals(killed.bytes[i]!)),
    'the same bytes',
  );
  t.same(
    stored.map(sha256),
    parts.map((p) => p.sha256),
    'the recorded SHA-256 is over the plain bytes',
  );
  const served = await sys.app.inject({ method: 'GET', url: `/v1/requests/${id}/report`, headers: auth(sys.keys.acme) });
  t.equal(served.statusCode, 200, 'served');
  t.equal(sha256(served.rawPayload), killed.result.sha256, 'the subject downloads those bytes');
}

/** The time the result states: the request's, not the assembly's clock nor when its tasks ended. */
async function resultTime(id: string): Promise<string> {
  const request = (await ctx.repo.findById(id))!;
  return resultTimeOf(request).toISOString();
}

let access: { id: string };
let exported: { id: string };
let killedAccess: Written;
let killedExport: Written;

t.test('access and export assemblies killed before they recorded their result', async (t) => {
  access = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' } });
  exported = await createRequest(sys, { type: 'export', subject: { accountId: 'alice' } });
  await Promise.all([runTasks(sys, access.id), runTasks(sys, exported.id)]);
  killedAccess = await assemblyKilledBeforeRecording(t, access.id);
  killedExport = await assemblyKilledBeforeRecording(t, exported.id);
  t.ok(killedExport.result.parts.length > 1, 'the export is split into parts');
  // Past the 2 s of a zip entry's DOS time: a clock in the archive would now show.
  await new Promise((resolve) => setTimeout(resolve, 2100));
});

t.test('access: the report archive rerun is the same bytes', async (t) => {
  await assembleAgain(t, access.id, killedAccess);
  const zip = new ZipFile(killedAccess.bytes[0]!);
  const data = zip.json('data.json') as { request: Record<string, unknown> };
  t.equal(data.request.createdAt, await resultTime(access.id), 'the time of the request');
  t.notOk('completedAt' in data.request, 'and no time of its work: a rerun ends later');
  const tasks = await ctx.repo.tasksOf(access.id);
  t.ok(tasks.every((task) => task.finishedAt && task.finishedAt.toISOString() > String(data.request.createdAt)), 'its tasks ended after it');
  t.match(zip.text('index.html'), String(data.request.createdAt).slice(0, 10), 'the report says that day');
});

t.test('export: every part rerun is the same bytes', async (t) => {
  await assembleAgain(t, exported.id, killedExport);
  const manifest = new ZipFile(killedExport.bytes.at(-1)!).json('manifest.json') as { createdAt: string };
  t.equal(manifest.createdAt, await resultTime(exported.id), 'the time of the request');
});

/** The deletion's receipt, read and checked. */
async function receiptOf(s: TestSystem, id: string): Promise<DeletionReceipt> {
  const request = (await s.ctx.repo.findById(id))!;
  return parseDeletionReceipt(await buffer(s.ctx.results.get(request.resultKey!)));
}

t.test('deletion: an erasure killed after its commit reports, run again, what it erased', async (t) => {
  // The system the receipt is compared with starts meanwhile.
  const starting = startSystem(t, {}, { worker: false });
  const deletion = await createRequest(sys, { type: 'deletion', subject: { accountId: 'alice' } });
  const subject = { tenantId: 'acme', accountId: 'alice' };
  // The im task runs its erasure, which commits, and dies before the task records the outcome.
  t.ok(await ctx.repo.moveRequest(deletion.id, 'start'), 'the request started');
  t.ok(await ctx.repo.moveTask(deletion.id, 'im', 'start'), 'the im task started');
  const resolved = await ctx.resolveAdapter('acme', 'im');
  if (resolved.kind !== 'built_in') throw new Error('im has its built-in adapter');
  const adapterContext = { sql: ctx.featureSql('im'), blobs: ctx.featureBlobs, log, requestId: deletion.id };
  const erased: ErasureOutcome[] = await resolved.adapter.erase(subject, adapterContext);
  t.ok(
    erased.some((o) => o.deleted > 0),
    'the killed run erased rows',
  );
  const record = await recordedErasure(ctx.featureSql('im'), deletion.id, 'im');
  t.same(record?.outcome, erased, 'recorded with the erasure');
  const [task] = (await ctx.repo.tasksOf(deletion.id)).filter((task) => task.feature === 'im');
  t.equal(task?.status, 'running', 'left as a crash leaves it');

  // Run again (a retry, or the reconciler): the data is gone, the outcome is not.
  await runTasks(sys, deletion.id);
  const im = (await ctx.repo.tasksOf(deletion.id)).find((task) => task.feature === 'im')!;
  t.equal(im.status, 'completed', 'the rerun completed the task');
  t.same(im.outcome, erased, 'the outcome of the run that erased, not "nothing erased"');
  t.same(im.finishedAt, record?.erasedAt, 'ended when the data went');
  const again = await resolved.adapter.erase(subject, adapterContext);
  t.same(again, erased, 'an erasure of the same request repeated says the same');
  t.same(
    (await resolved.adapter.erase(subject, { ...adapterContext, requestId: undefined })).map((o) => o.deleted),
    erased.map(() => 0),
    'while the data is indeed gone',
  );

  const killed = await assemblyKilledBeforeRecording(t, deletion.id);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await runAssembly({ ...ctx, log }, deletion.id, true);
  const request = (await ctx.repo.findById(deletion.id))!;
  t.equal(request.status, 'completed', 'the deletion completed');
  t.equal(request.resultSha256, killed.result.sha256, 'the receipt rerun: the same SHA-256');
  t.ok((await buffer(ctx.results.get(request.resultKey!))).equals(killed.bytes[0]!), 'and the same bytes');
  t.equal(await recordedErasure(ctx.featureSql('im'), deletion.id, 'im'), undefined, 'records go once the request is closed');

  // The same deletion in a system seeded alike, never interrupted, erased the same.
  const other = await starting;
  const uninterrupted = await createRequest(other, { type: 'deletion', subject: { accountId: 'alice' } });
  await runTasks(other, uninterrupted.id);
  await runAssembly({ ...other.ctx, log }, uninterrupted.id, true);
  const receipt = await receiptOf(sys, deletion.id);
  const expected = await receiptOf(other, uninterrupted.id);
  t.same(receipt.features, expected.features, 'the receipt says what an uninterrupted deletion says');
  t.same(receipt.rescan, expected.rescan, 'and found the same left after the erasure');
  t.ok(receipt.rescan?.features.every((f) => f.status === 'confirmed'), 'which its words account for');
  t.equal(receipt.status, expected.status, 'and ends in the same status');
  t.equal(receipt.createdAt, await resultTime(deletion.id), 'the time of the request');
  t.notOk('completedAt' in receipt || receipt.features.some((f) => 'finishedAt' in f), 'and no time of its work, which a rerun changes');
});
