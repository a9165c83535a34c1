import t, { type Test } from 'tap';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LocalBlobStore } from '../src/blobs/blob-store.js';
import { catalogue } from '../src/catalogue/catalogue.js';
import type { DataItem, Feature } from '../src/catalogue/schema.js';
import type { RequestRow, TaskRow } from '../src/requests/tables.js';
import type { CollectedRecord, DatasetDescription, ErasureOutcome } from '../src/features/adapter.js';
import { assembleResult } from '../src/results/assemble.js';
import { parseDeletionReceipt, ReceiptReadError, type DeletionReceipt } from '../src/results/receipt/deletion-receipt.js';
import { deletionReceiptHtml } from '../src/results/receipt/deletion-receipt-html.js';
import { escapeHtml } from '../src/results/html.js';
import { verifyReceipt } from '../src/results/receipt/receipt-signing.js';
import { ZipFile } from './zip.js';
import { NOW, requestRow, taskRow } from './fixtures/rows.js';
import { writePartial } from '../src/results/partials/partials.js';
import { ERASURE_OUTCOMES } from '../src/features/erasure-outcomes.js';

/**
 * Every catalogue item of every feature is accounted for exactly once, with the right outcome, in
 * each result: data.json and index.html (access), manifest.json and README.txt (export), the
 * deletion receipt. Each scenario puts all features of the real catalogue in one situation.
 * Datasets are made up per feature: every stored item but the last is carried by a dataset of its
 * own (the first by the row's file, the others by a column; the second is retained by law), so the
 * last one is an item the feature's store "holds no such item" of.
 */

const FAILURE = 'feature service unavailable';
const MANUAL_NOTE = 'Checked by hand: <nothing else held>';
const RETENTION = { days: 365, reason: 'Kept one year for the audit law.' };
const RETAINED_UNTIL = '2025-05-02';
const NO_SUCH_ITEM = "this feature's store holds no such item";

type Account = Record<string, unknown>;

function storedItems(feature: Feature): DataItem[] {
  return feature.items.filter((item) => item.processing === 'stored');
}

/** Stored items a dataset carries, in order; a feature with one stored item has it carried. */
function mappedItems(feature: Feature): DataItem[] {
  const stored = storedItems(feature);
  return stored.length > 1 ? stored.slice(0, -1) : stored;
}

function mappedIndex(feature: Feature, item: DataItem): number {
  return mappedItems(feature).findIndex((i) => i.id === item.id);
}

function descriptions(feature: Feature): DatasetDescription[] {
  return mappedItems(feature).map((item, index) => {
    // `file` is the field of a row that holds its file; d0 carries its item only there.
    const items: Record<string, string> = { [index === 0 ? 'file' : 'value']: item.id };
    return { name: `d${index}`, title: `Dataset ${index}`, columns: ['id', 'value'], items, ...(index === 1 ? { retention: RETENTION } : {}) };
  });
}

const datasets = new Map(catalogue.features.map((f) => [f.id as string, descriptions(f)]));

/** Dataset d<i> holds i + 1 rows; rows of d0 have a file (gone from the store, which is fine here). */
function records(feature: Feature): CollectedRecord[] {
  return descriptions(feature).flatMap((d, index) =>
    Array.from({ length: index + 1 }, (_, n): CollectedRecord => ({
      dataset: d.name,
      row: { id: `${d.name}-${n}`, value: 'x' },
      ...(index === 0 ? { file: { blobKey: `gone/${feature.id}/${n}`, name: `f${n}.txt`, mediaType: 'text/plain', size: 1 } } : {}),
    })),
  );
}

const ERASURE_ACTIONS = ['deleted', 'anonymized', 'kept', 'retained', 'nothing'] as const;

/** Dataset d<i> had i + 1 rows handled by the i-th action (in turn); `nothing` found no rows. */
function erasure(feature: Feature): ErasureOutcome[] {
  return mappedItems(feature).map((item, index) => {
    const action = ERASURE_ACTIONS[index % ERASURE_ACTIONS.length]!;
    const n = action === 'nothing' ? 0 : index + 1;
    const outcome: ErasureOutcome = { dataset: `d${index}`, deleted: 0, anonymized: 0, kept: 0, items: [item.id] };
    if (action === 'retained') return { ...outcome, retained: n, retainedUntil: RETAINED_UNTIL, retentionReason: RETENTION.reason };
    return action === 'nothing' ? outcome : { ...outcome, [action]: n };
  });
}

type Scenario =
  | 'data'
  | 'none'
  | 'unreadable'
  | 'not_automated'
  | 'action_required'
  | 'failed'
  | 'cancelled'
  | 'manual';

const COLLECTION_SCENARIOS: Scenario[] = ['data', 'none', 'not_automated', 'action_required', 'failed', 'cancelled', 'manual'];
const DELETION_SCENARIOS: Scenario[] = [...COLLECTION_SCENARIOS, 'unreadable'];

/** The outcome the item must get, worked out from how the scenario was built. */
function expected(feature: Feature, item: DataItem, scenario: Scenario, type: RequestRow['type']): Account {
  const base = { id: item.id, label: item.label };
  if (item.processing !== 'stored') return { ...base, outcome: 'not_stored', processing: item.processing, reason: item.statementText };
  switch (scenario) {
    case 'not_automated':
    case 'action_required':
      return { ...base, outcome: 'not_automated' };
    case 'failed':
      return { ...base, outcome: 'failed', reason: FAILURE };
    case 'unreadable':
      return { ...base, outcome: 'failed', reason: 'the outcome of the erasure could not be read' };
    case 'cancelled':
      return { ...base, outcome: 'cancelled' };
    case 'manual':
      return { ...base, outcome: 'manual', note: MANUAL_NOTE };
  }
  const index = mappedIndex(feature, item);
  if (index < 0) return { ...base, outcome: 'none_held', note: NO_SUCH_ITEM };
  if (scenario === 'none') return { ...base, outcome: 'none_held' };
  if (type !== 'deletion') return { ...base, outcome: 'found', count: index + 1, ...(index === 1 ? { retained: RETENTION } : {}) };
  const action = ERASURE_ACTIONS[index % ERASURE_ACTIONS.length]!;
  if (action === 'nothing') return { ...base, outcome: 'none_held' };
  if (action === 'retained') return { ...base, outcome: 'retained', count: index + 1, reason: RETENTION.reason, until: RETAINED_UNTIL };
  return { ...base, outcome: action, count: index + 1 };
}

function request(n: number, type: RequestRow['type'], status: RequestRow['status']): RequestRow {
  return requestRow({
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type,
    status,
    subjectAccountId: 'subject-1',
    features: catalogue.features.map((f) => f.id),
    completedAt: NOW,
  });
}

async function taskFor(s: Stores, req: RequestRow, feature: Feature, scenario: Scenario): Promise<TaskRow> {
  const base = taskRow({
    id: `${req.id.slice(0, 24)}${String(catalogue.features.indexOf(feature)).padStart(12, '0')}`,
    requestId: req.id,
    feature: feature.id,
  });
  switch (scenario) {
    case 'data':
      if (req.type === 'deletion') return { ...base, outcome: erasure(feature) };
      return { ...base, partialKey: await partial(s, req, feature) };
    case 'none':
      return { ...base, outcome: req.type === 'deletion' ? [] : null };
    case 'unreadable':
      return { ...base, outcome: { deleted: 'everything' } };
    case 'manual':
      return { ...base, adapter: 'manual', outcome: { manual: { note: MANUAL_NOTE, files: [] } } };
    case 'failed':
      return { ...base, status: 'failed', error: FAILURE };
    case 'not_automated':
    case 'action_required':
    case 'cancelled':
      return { ...base, status: scenario, finishedAt: null };
  }
}

interface Stores {
  dir: string;
  results: LocalBlobStore;
  featureBlobs: LocalBlobStore;
}

async function partial(s: Stores, req: RequestRow, feature: Feature): Promise<string> {
  const key = `work/${req.id}/${feature.id}.ndjson`;
  await writePartial(s.results, key, records(feature), datasets.get(feature.id) ?? []);
  return key;
}

let requests = 0;

async function assemble(s: Stores, type: RequestRow['type'], scenario: Scenario, signingKey?: KeyObject) {
  requests += 1;
  // The worker's status, which the receipt must repeat (all features not automated still counts as completed).
  const req = request(requests, type, scenario === 'failed' ? 'failed' : 'completed');
  const tasks = await Promise.all(catalogue.features.map((f) => taskFor(s, req, f, scenario)));
  const result = await assembleResult({
    request: req,
    tasks,
    catalogue,
    datasets,
    results: s.results,
    featureBlobs: s.featureBlobs,
    ...(signingKey ? { signingKey } : {}),
  });
  return { req, file: path.join(s.dir, 'results', result.key), result };
}

function stores(dir: string): Stores {
  return { dir, results: new LocalBlobStore(path.join(dir, 'results')), featureBlobs: new LocalBlobStore(path.join(dir, 'features')) };
}

/** Each feature of the catalogue once, in order, with each of its items once, as expected. */
function checkFeatures(
  t: Test,
  features: { id: string; items: Account[] }[],
  scenario: Scenario,
  type: RequestRow['type'],
  itemFields: (item: DataItem) => Account = () => ({}),
) {
  t.same(features.map((f) => f.id), catalogue.features.map((f) => f.id), 'every feature once, in catalogue order');
  for (const [index, feature] of catalogue.features.entries()) {
    const items = features[index]?.items ?? [];
    t.same(items.map((i) => i.id), feature.items.map((i) => i.id), `${feature.id}: every item exactly once`);
    t.strictSame(
      items,
      feature.items.map((item) => ({ ...expected(feature, item, scenario, type), ...itemFields(item) })),
      `${feature.id}: ${scenario} outcomes`,
    );
  }
}

/** The catalogue fields data.json gives each item beside its outcome. */
function catalogueFields(item: DataItem): Account {
  return {
    processing: item.processing,
    ...(item.examples ? { examples: item.examples } : {}),
    ...(item.retention ? { retention: item.retention } : {}),
  };
}

const ITEM_COUNT = catalogue.features.reduce((sum, f) => sum + f.items.length, 0);

t.test('access: data.json and index.html account for every item', async (t) => {
  const s = stores(t.testdir());
  for (const scenario of COLLECTION_SCENARIOS) {
    const { file } = await assemble(s, 'access', scenario);
    const zip = new ZipFile(readFileSync(file));
    checkFeatures(t, zip.json('data.json').features, scenario, 'access', catalogueFields);
    const page = zip.text('index.html');
    t.equal(page.match(/<tr class="item /g)?.length, ITEM_COUNT, `${scenario}: a row per item in index.html`);
    t.equal(page.split('<h3>What this feature handles</h3>').length - 1, catalogue.features.length);
  }
});

t.test('access: plain words for each outcome', async (t) => {
  const s = stores(t.testdir());
  const im = catalogue.features.find((f) => f.id === 'im')!;
  const page = (scenario: Scenario) => assemble(s, 'access', scenario).then(({ file }) => new ZipFile(readFileSync(file)).text('index.html'));
  const data = await page('data');
  const retained = escapeHtml(mappedItems(im)[1]!.label);
  t.match(data, new RegExp(`<td>${retained}.*</td><td>Found: 2 rows, kept for 365 days by law: ${RETENTION.reason}</td>`));
  t.match(data, 'None held: this feature&#39;s store holds no such item');
  t.match(data, 'Not stored: processed but not saved (privacy statement: &quot;clipboard information (only processed but not saved)&quot;)');
  t.match(await page('manual'), `Answered by hand: ${escapeHtml(MANUAL_NOTE)}`);
  t.match(await page('failed'), `Could not be processed: ${FAILURE}`);
});

t.test('export: manifest.json and README.txt account for every item', async (t) => {
  const s = stores(t.testdir());
  for (const scenario of COLLECTION_SCENARIOS) {
    const { file } = await assemble(s, 'export', scenario);
    const zip = new ZipFile(readFileSync(file));
    checkFeatures(t, zip.json('manifest.json').features, scenario, 'export');
    const readme = zip.text('README.txt').split('\r\n');
    t.equal(readme.filter((line) => /^ {4}\S/.test(line)).length, ITEM_COUNT, `${scenario}: a README line per item`);
  }
});

t.test('deletion: the receipt accounts for every item and repeats the request status', async (t) => {
  const s = stores(t.testdir());
  for (const scenario of DELETION_SCENARIOS) {
    const { req, file } = await assemble(s, 'deletion', scenario);
    const receipt = JSON.parse(readFileSync(file, 'utf8')) as DeletionReceipt;
    checkFeatures(t, receipt.features as unknown as { id: string; items: Account[] }[], scenario, 'deletion');
    t.equal(receipt.status, req.status, `${scenario}: the request's own status`);
    t.equal(receipt.signature, null, 'no key, no signature');
  }
});

/** Canonical JSON written independently of the service: keys sorted at every level, no whitespace. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

t.test('a stored receipt is read back only when it matches its schema', async (t) => {
  const s = stores(t.testdir());
  const { privateKey } = generateKeyPairSync('ed25519');
  const { file } = await assemble(s, 'deletion', 'data', privateKey);
  const bytes = readFileSync(file);
  const receipt = parseDeletionReceipt(bytes);
  t.same(receipt, JSON.parse(bytes.toString('utf8')), 'every receipt the service writes matches its schema');
  const unsigned = (await assemble(s, 'deletion', 'data')).file;
  t.equal(parseDeletionReceipt(readFileSync(unsigned)).signature, null, 'an unsigned one too');
  const broken = (change: (r: any) => void) => {
    const copy = JSON.parse(bytes.toString('utf8'));
    change(copy);
    return () => parseDeletionReceipt(Buffer.from(JSON.stringify(copy)));
  };
  t.throws(() => parseDeletionReceipt(bytes.subarray(0, 100)), { constructor: ReceiptReadError, message: 'the stored deletion receipt is not JSON' });
  t.throws(broken((r) => (r.features[0].datasets = 'none')), {
    constructor: ReceiptReadError,
    message: /^the stored deletion receipt is malformed: \/features\/0\/datasets /,
  });
  t.throws(broken((r) => (r.status = 'exploded')), { constructor: ReceiptReadError, message: /malformed: \/status / });
  t.throws(broken((r) => (r.features[0].items[0].outcome = 'lost')), { constructor: ReceiptReadError, message: /malformed: \/features\/0\/items\/0\/outcome / });
  t.throws(broken((r) => delete r.digest), { constructor: ReceiptReadError, message: /malformed/ }, 'a receipt without its digest');
});

t.test('a signed receipt verifies, and any change breaks it', async (t) => {
  const s = stores(t.testdir());
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const { file } = await assemble(s, 'deletion', 'data', privateKey);
  const receipt = JSON.parse(readFileSync(file, 'utf8')) as DeletionReceipt;
  t.ok(verifyReceipt(receipt, publicKey), 'verifies with the public key');

  const { digest, signature, ...body } = receipt;
  t.equal(digest, createHash('sha256').update(sortedJson(body)).digest('hex'), 'digest = SHA-256 of the canonical body');
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  t.equal(signature?.keyId, createHash('sha256').update(spki).digest('hex').slice(0, 16), 'key id names the public key');

  const tampered: [string, (r: DeletionReceipt) => void][] = [
    ['an item count', (r) => (r.features[2]!.items.find((i) => i.count !== undefined)!.count! += 1)],
    ['an item outcome', (r) => (r.features[2]!.items[0]!.outcome = 'cancelled')],
    ['a dataset count', (r) => (r.features[2]!.datasets[0]!.kept += 1)],
    ['the status', (r) => (r.status = 'partially_completed')],
    ['the account', (r) => (r.accountId = 'someone-else')],
    ['a feature dropped', (r) => r.features.pop()],
    ['a field added', (r) => Object.assign(r, { note: 'all erased' })],
    ['the digest recomputed for the changed body', (r) => {
      r.features[2]!.finishedAt = null;
      const { digest: _, signature: __, ...changed } = r;
      r.digest = createHash('sha256').update(sortedJson(changed)).digest('hex');
    }],
    ['the signature', (r) => (r.signature!.value = Buffer.alloc(64).toString('base64'))],
    ['the key id', (r) => (r.signature!.keyId = '0'.repeat(16))],
    ['the signature removed', (r) => (r.signature = null)],
  ];
  for (const [what, change] of tampered) {
    const copy = structuredClone(receipt);
    change(copy);
    t.notOk(verifyReceipt(copy, publicKey), `fails when ${what} changes`);
  }
  t.notOk(verifyReceipt(receipt, generateKeyPairSync('ed25519').publicKey), 'fails with another key');
});

t.test('the HTML receipt shows every feature, each outcome and the digest', async (t) => {
  const s = stores(t.testdir());
  const { privateKey } = generateKeyPairSync('ed25519');
  const { file } = await assemble(s, 'deletion', 'data', privateKey);
  const receipt = JSON.parse(readFileSync(file, 'utf8')) as DeletionReceipt;
  const page = deletionReceiptHtml(receipt);
  t.match(page, /^<!DOCTYPE html>/);
  t.notMatch(page, /<script|(src|href)="(https?:)?\/\//i, 'offline: no scripts, nothing external');
  for (const feature of catalogue.features) t.match(page, `<h2>${escapeHtml(feature.name)}</h2>`, `shows ${feature.id}`);
  t.equal(page.match(/<tr><td>/g)?.length, ITEM_COUNT + receipt.features.reduce((n, f) => n + f.datasets.length, 0), 'a row per item and dataset');
  const recipients = (receipt.recipients ?? []).reduce((n, f) => n + f.recipients.length, 0);
  t.ok(recipients >= catalogue.features.length, 'every erased feature has its recipients');
  t.equal(page.match(/<tr class="recipient">/g)?.length, recipients, 'a row per recipient to tell');
  t.match(page, receipt.digest);
  t.match(page, receipt.signature!.value);
  t.match(page, `Retained (4 rows) until ${RETAINED_UNTIL}: ${RETENTION.reason} ${ERASURE_OUTCOMES.retained.explanation}`);
  t.match(page, `Kept (3 rows). ${ERASURE_OUTCOMES.kept.explanation}`);
  t.match(page, `Anonymized (2 rows). ${ERASURE_OUTCOMES.anonymized.explanation}`);
  t.match(page, 'How to verify');
  t.match(page, 'openssl pkeyutl -verify');
});
