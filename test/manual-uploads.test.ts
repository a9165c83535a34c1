import t from 'tap';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';
import { ZipFile } from './zip.js';

// Files a support agent uploads for a manual task: personal data like any result, so encrypted at
// rest, every one recorded, and gone with the request's work once the result holds them.
const sys = await startSystem(t);
const { app, keys } = sys;

t.before(async () => {
  const res = await app.inject({
    method: 'PUT',
    url: '/v1/tenant/features/clock-in',
    headers: auth(keys.acme),
    payload: { enabled: true, adapter: 'manual' },
  });
  if (res.statusCode !== 200) throw new Error(res.body);
});

async function waitingRequest(type: 'access' | 'export', accountId: string): Promise<string> {
  const req = await createRequest(sys, { type, subject: { accountId }, features: ['clock-in'] });
  for (let i = 0; i < 300; i++) {
    const body = (await app.inject({ method: 'GET', url: `/v1/requests/${req.id}`, headers: auth(keys.acme) })).json();
    if (body.status === 'action_required') return req.id;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`request ${req.id} never waited for the agent`);
}

const upload = (id: string, name: string, bytes: Buffer) =>
  app.inject({
    method: 'POST',
    url: `/v1/requests/${id}/tasks/clock-in/files?name=${encodeURIComponent(name)}`,
    headers: { ...auth(keys.acme), 'content-type': 'text/plain' },
    payload: bytes,
  });

const complete = (id: string) =>
  app.inject({
    method: 'POST',
    url: `/v1/requests/${id}/tasks/clock-in/complete`,
    headers: auth(keys.acme),
    payload: { note: 'Exported from the attendance machines' },
  });

/** The request is closed before its work files are deleted: what `read` finds once it is empty (or after 10 s). */
async function eventually(read: () => Promise<string[]>): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const found = await read();
    if (found.length === 0) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  return read();
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Every file under the data directory (blobs, results, keys) whose bytes contain `needle`. */
async function filesHolding(needle: Buffer): Promise<string[]> {
  const found: string[] = [];
  for (const file of await filesUnder(sys.dataDir)) {
    if ((await readFile(file)).includes(needle)) found.push(file);
  }
  return found;
}

t.test('an upload is encrypted at rest and deleted with the work once the result holds it', async (t) => {
  const id = await waitingRequest('access', 'bob');
  const bytes = Buffer.from('clock-in of 2026-11-02 08:59 at the north gate, badge 4711\n'.repeat(20));
  t.equal((await upload(id, 'north-gate.txt', bytes)).statusCode, 201);

  t.same(await filesHolding(bytes.subarray(0, 40)), [], 'no file on disk holds the uploaded bytes');
  t.same(await filesUnder(path.join(sys.ctx.config.blobDir, 'manual')), [], 'nothing in the feature blob directory');
  const work = path.join(sys.ctx.config.resultsDir, 'work', id);
  t.equal((await filesUnder(work)).length, 1, 'the upload is a work file of the request');

  t.equal((await complete(id)).statusCode, 200);
  t.equal((await waitForEnd(sys, id)).status, 'completed');
  t.same(await eventually(() => filesUnder(work)), [], 'the work files, the upload among them, are deleted after assembly');
  t.same(await filesHolding(bytes.subarray(0, 40)), [], 'the result is encrypted too');

  const zip = new ZipFile((await app.inject({ method: 'GET', url: `/v1/requests/${id}/report`, headers: auth(keys.acme) })).rawPayload);
  const clockIn = zip.json('data.json').features.find((f: { id: string }) => f.id === 'clock-in');
  t.same(zip.read(clockIn.datasets.provided_files[0].file), bytes, 'the result holds the uploaded bytes');
});

t.test('ten parallel uploads to one task: all ten recorded and in the result', async (t) => {
  const id = await waitingRequest('access', 'alice');
  const files = Array.from({ length: 10 }, (_, i) => ({ name: `part-${i}.txt`, bytes: Buffer.from(`part ${i} of the clock-ins\n`) }));
  const answers = await Promise.all(files.map((f) => upload(id, f.name, f.bytes)));
  t.same(
    answers.map((a) => a.statusCode),
    files.map(() => 201),
  );
  const task = await sys.ctx.repo.task(id, 'clock-in');
  const recorded = (task!.outcome as { manual: { files: Array<{ name: string }> } }).manual.files.map((f) => f.name);
  t.same(recorded.sort(), files.map((f) => f.name).sort(), 'every upload is recorded on the task');

  t.equal((await complete(id)).statusCode, 200);
  t.equal((await waitForEnd(sys, id)).status, 'completed');
  const zip = new ZipFile((await app.inject({ method: 'GET', url: `/v1/requests/${id}/report`, headers: auth(keys.acme) })).rawPayload);
  const rows = zip.json('data.json').features.find((f: { id: string }) => f.id === 'clock-in').datasets.provided_files as Array<{
    name: string;
    file: string;
  }>;
  t.equal(rows.length, 10, 'the result lists all ten');
  const contents = rows.map((r) => zip.read(r.file).toString()).sort();
  t.same(contents, files.map((f) => f.bytes.toString()).sort(), 'and holds all ten files');
});

t.test('uploads racing the completion: every file that answered 201 is in the result, the others 409', async (t) => {
  const id = await waitingRequest('access', 'carol');
  const files = Array.from({ length: 10 }, (_, i) => ({ name: `late-${i}.txt`, bytes: Buffer.from(`late part ${i}\n`) }));
  const uploads = files.map((f, i) => new Promise((r) => setTimeout(r, i * 3)).then(() => upload(id, f.name, f.bytes)));
  const done = new Promise((r) => setTimeout(r, 12)).then(() => complete(id));
  const answers = await Promise.all(uploads);
  t.equal((await done).statusCode, 200);
  t.ok(answers.every((a) => a.statusCode === 201 || a.statusCode === 409), 'each upload is either taken or refused');
  const taken = files.filter((_, i) => answers[i]!.statusCode === 201).map((f) => f.bytes.toString());
  t.equal((await waitForEnd(sys, id)).status, 'completed');
  const zip = new ZipFile((await app.inject({ method: 'GET', url: `/v1/requests/${id}/report`, headers: auth(keys.acme) })).rawPayload);
  const rows = (zip.json('data.json').features.find((f: { id: string }) => f.id === 'clock-in').datasets.provided_files ?? []) as Array<{
    file: string;
  }>;
  t.same(rows.map((r) => zip.read(r.file).toString()).sort(), taken.sort(), `the ${taken.length} files taken are the files in the result`);
});
