import { buffer } from 'node:stream/consumers';
import t from 'tap';
import pino from 'pino';
import { getTableColumns, is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { FEATURES } from '../src/features/features.js';
import { rowValues, type AdapterContext, type DatasetDescription, type Row, type Subject } from '../src/features/adapter.js';
import { RESTRICTION_COLUMN } from '../src/features/declarative.js';
import { ERASURE_OUTCOMES, ERASURE_RESULTS, type ErasureResult } from '../src/features/erasure-outcomes.js';
import { runAssembly } from '../src/tasks/assembly-task.js';
import { runFeatureTask } from '../src/tasks/feature-task.js';
import { parseDeletionReceipt, type DeletionReceipt } from '../src/results/receipt/deletion-receipt.js';
import { deletionReceiptHtml } from '../src/results/receipt/deletion-receipt-html.js';
import { itemOutcomeWords } from '../src/results/labels.js';
import { createRequest, startSystem, type TestSystem } from './helper.js';

// Issue 16 item 3, an exact erasure record: alice's deletion, feature by feature, with what the receipt
// says of every item set against what is left in the stores, row by row; and the scan of every store
// after the erasure, which the receipt records, set against a collect of what is left.

const log = pino({ level: 'silent' });
const sys = await startSystem(t, {}, { worker: false });
const subject: Subject = { tenantId: 'acme', accountId: 'alice' };

const ctxOf = (feature: string): AdapterContext => ({ sql: sys.ctx.featureSql(feature), blobs: sys.ctx.featureBlobs, log });

interface Table {
  name: string;
  columns: Set<string>;
}

/** The table of a feature holding a dataset: the one with every column the dataset outputs. */
function tableOf(feature: (typeof FEATURES)[number], d: DatasetDescription): Table {
  const tables = feature.tables
    .filter((table) => is(table, PgTable))
    .map((table) => ({ name: `${getTableConfig(table).schema}.${getTableConfig(table).name}`, columns: new Set(Object.values(getTableColumns(table)).map((c) => c.name)) }));
  const own = d.columns.filter((c) => c !== RESTRICTION_COLUMN);
  const found = tables.filter((table) => own.every((c) => table.columns.has(c)));
  if (found.length !== 1) throw new Error(`${feature.id}/${d.name}: ${found.length} tables hold its columns`);
  return found[0]!;
}

/** What a collected row says of itself that its table row must contain: its scalar values (JSON text columns left out). */
function containment(row: Row): Row {
  return Object.fromEntries(
    Object.entries(row).filter(([column, value]) => column !== RESTRICTION_COLUMN && !(typeof value === 'string' && /^[[{]/.test(value))),
  );
}

/** The ids of the store rows an access collect of alice gives, per dataset. */
async function subjectRows(feature: (typeof FEATURES)[number]): Promise<Map<string, string[]>> {
  const rows = new Map<string, Row[]>();
  for await (const record of feature.adapter.collect(subject, ctxOf(feature.id))) {
    rows.set(record.dataset, [...(rows.get(record.dataset) ?? []), containment(rowValues(record))]);
  }
  const ids = new Map<string, string[]>();
  for (const d of feature.adapter.datasets) {
    const table = tableOf(feature, d);
    const [found] = await sys.ctx.featureSql(feature.id).unsafe(
      `select coalesce(array_agg(distinct t.id::text), '{}') as ids from ${table.name} t ` +
        `join jsonb_array_elements($1::jsonb) as r(v) on to_jsonb(t) @> r.v where t.tenant_id = $2`,
      [JSON.stringify(rows.get(d.name) ?? []), subject.tenantId],
    );
    ids.set(d.name, found!.ids as string[]);
  }
  return ids;
}

/** Those rows as they are now: the ones still in the store. */
async function remainingRows(feature: (typeof FEATURES)[number], d: DatasetDescription, ids: string[]): Promise<Record<string, unknown>[]> {
  const table = tableOf(feature, d);
  const rows = await sys.ctx.featureSql(feature.id).unsafe(`select to_jsonb(t) as row from ${table.name} t where t.id = any($1::uuid[])`, [ids]);
  return rows.map((r) => r.row as Record<string, unknown>);
}

async function collectedCounts(feature: (typeof FEATURES)[number]): Promise<{ counts: Record<string, number>; rows: Map<string, Row[]> }> {
  const counts: Record<string, number> = {};
  const rows = new Map<string, Row[]>();
  for await (const record of feature.adapter.collect(subject, ctxOf(feature.id))) {
    counts[record.dataset] = (counts[record.dataset] ?? 0) + 1;
    rows.set(record.dataset, [...(rows.get(record.dataset) ?? []), rowValues(record)]);
  }
  return { counts, rows };
}

async function runTasks(s: TestSystem, id: string): Promise<void> {
  for (const task of await s.ctx.repo.tasksOf(id)) await runFeatureTask({ ...s.ctx, log }, id, task.feature, { number: 1, last: true });
}

async function receiptOf(id: string): Promise<DeletionReceipt> {
  const request = (await sys.ctx.repo.findById(id))!;
  return parseDeletionReceipt(await buffer(sys.ctx.results.get(request.resultKey!)));
}

const before = new Map<string, Map<string, string[]>>();
for (const feature of FEATURES) before.set(feature.id, await subjectRows(feature));

const deletion = await createRequest(sys, { type: 'deletion', subject: { accountId: subject.accountId } });
await runTasks(sys, deletion.id);
await runAssembly({ ...sys.ctx, log }, deletion.id, true);
const receipt = await receiptOf(deletion.id);
const seen = new Set<string>();

t.equal((await sys.ctx.repo.findById(deletion.id))?.status, 'completed', 'the deletion completed: the re-scan confirmed every store');
t.equal(receipt.status, 'completed', 'and the receipt says so');

for (const feature of FEATURES) {
  t.test(`${feature.id}: the receipt's words against the store, row by row`, async (t) => {
    const entry = receipt.features.find((f) => f.id === feature.id)!;
    t.equal(entry.status, 'completed', 'erased');
    const ids = before.get(feature.id)!;
    let checked = 0;
    for (const item of entry.items) {
      if (!(ERASURE_RESULTS as string[]).includes(item.outcome)) continue;
      const outcome = item.outcome as ErasureResult;
      seen.add(outcome);
      checked += 1;
      t.match(itemOutcomeWords(item), ERASURE_OUTCOMES[outcome].word, `${item.id}: the receipt's word is ${ERASURE_OUTCOMES[outcome].word}`);
      const carrying = feature.adapter.datasets.filter((d) => Object.values(d.items).includes(item.id));
      const left: { d: DatasetDescription; rows: Record<string, unknown>[] }[] = [];
      for (const d of carrying) left.push({ d, rows: await remainingRows(feature, d, ids.get(d.name) ?? []) });
      const leftRows = left.reduce((n, l) => n + l.rows.length, 0);
      switch (outcome) {
        case 'deleted':
          t.equal(leftRows, 0, `${item.id} deleted: no row of alice's remains`);
          break;
        case 'anonymized': {
          t.ok(leftRows > 0, `${item.id} anonymized: rows remain`);
          const identity = left.flatMap(({ d, rows }) => {
            const columns = Object.entries(d.items).filter(([, i]) => i === item.id).map(([c]) => c);
            return rows.filter((row) => columns.some((c) => row[c] === subject.accountId));
          });
          t.equal(identity.length, 0, `${item.id} anonymized: none of them names alice`);
          t.ok(item.reason, `${item.id} anonymized: the receipt says why the rows stay`);
          break;
        }
        case 'kept':
          t.ok(leftRows > 0, `${item.id} kept: rows remain`);
          t.ok(item.reason && item.reason.length > 0, `${item.id} kept: with the reason stated (${item.reason})`);
          t.match(itemOutcomeWords(item), item.reason!, 'in the words the subject reads');
          break;
        case 'retained': {
          t.ok(leftRows > 0, `${item.id} retained: rows remain`);
          const restricted = left.flatMap(({ d, rows }) => (entry.datasets.find((r) => r.dataset === d.name)?.retained ? rows : []));
          t.ok(restricted.length > 0, `${item.id}: rows of a retained dataset remain`);
          t.ok(restricted.every((row) => typeof row.restricted_until === 'string' && row.restricted_until <= item.until!), 'every one marked restricted, until its own date at the latest');
          t.equal(restricted.map((row) => String(row.restricted_until)).sort().at(-1), item.until, 'the last of them until the date the receipt gives');
          t.equal(item.restricted, true, 'the receipt says they are restricted');
          t.match(itemOutcomeWords(item), `Restricted: kept only for that obligation until ${item.until}`, 'in words');
          break;
        }
      }
    }
    t.ok(checked > 0 || entry.items.every((i) => !['found'].includes(i.outcome)), 'the items erased were checked');

    // The re-scan the receipt records is what a collect of alice finds now.
    const scan = receipt.rescan!.features.find((f) => f.id === feature.id)!;
    t.equal(scan.status, 'confirmed', 'the re-scan confirmed the receipt');
    t.same(scan.findings, [], 'no finding');
    const now = await collectedCounts(feature);
    t.same(
      Object.fromEntries(scan.datasets.map((d) => [d.dataset, d.rows])),
      Object.fromEntries(Object.entries(now.counts).filter(([, n]) => n > 0)),
      'what remains, dataset by dataset, is what a collect finds now',
    );
    for (const remaining of scan.items) {
      const account = entry.items.find((i) => i.id === remaining.id)!;
      t.ok(['kept', 'retained'].includes(account.outcome), `${remaining.id} remains and the receipt says ${account.outcome}`);
    }
    // Retained rows show as restricted in what an access request collects.
    for (const d of feature.adapter.datasets.filter((d) => d.retention)) {
      const rows = now.rows.get(d.name) ?? [];
      t.ok(rows.every((row) => String(row[RESTRICTION_COLUMN]).startsWith('Restricted: kept only for the legal obligation')), `${d.name}: every row shown as restricted`);
    }
  });
}

t.test('every outcome occurs', async (t) => {
  t.same([...seen].sort(), [...ERASURE_RESULTS].sort(), 'deleted, anonymized, kept and retained all checked');
  const meetings = receipt.features.find((f) => f.id === 'meetings')!;
  const recordings = meetings.datasets.find((d) => d.dataset === 'recordings')!;
  t.ok(recordings.kept + recordings.anonymized + recordings.deleted > 0, "recordings of meetings alice attended are handled");
  const av = meetings.items.find((i) => i.id === 'audio-video-stream')!;
  t.equal(av.outcome, 'kept', 'and reported as kept');
  t.match(av.reason, 'a recording shows everyone in it', 'with the reason');
  const page = deletionReceiptHtml(receipt);
  t.match(page, 'Checked after the erasure', 'the page shows the re-scan');
  t.match(page, 'Restricted: kept only for that obligation until', 'and restricted rows');
});

t.test('a row of the subject that appears after the erasure is a finding, and the request is not completed in full', async (t) => {
  const other = await createRequest(sys, { type: 'deletion', subject: { accountId: 'bob' } });
  await runTasks(sys, other.id);
  // A device the im service recorded for bob after his erasure ran, before the result was built.
  await sys.ctx.featureSql('im').unsafe(
    `insert into im.devices (tenant_id, account_id, device_id, last_seen_at) values ('acme', 'bob', 'late-device', now())`,
  );
  await runAssembly({ ...sys.ctx, log }, other.id, true);
  t.equal((await sys.ctx.repo.findById(other.id))?.status, 'partially_completed', 'not completed in full');
  const late = await receiptOf(other.id);
  t.equal(late.status, 'partially_completed', 'the receipt says so');
  const im = late.rescan!.features.find((f) => f.id === 'im')!;
  t.equal(im.status, 'mismatch', 'the re-scan does not match');
  t.same(im.datasets, [{ dataset: 'devices', title: 'Devices', rows: 1 }], 'what remains');
  t.match(im.findings.join(' '), 'Devices: 1 record remains, where the erasure reports 0 kept or retained.', 'stated plainly');
  t.match(deletionReceiptHtml(late), 'Does not match this certificate');
});
