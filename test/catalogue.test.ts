import t from 'tap';
import fs from 'node:fs';
import crypto from 'node:crypto';
import Value from 'typebox/value';
import { Catalogue, type DataItem, type Feature } from '../src/catalogue/schema.js';
import {
  catalogue,
  catalogueFeatureIds,
  featureById,
  itemIds,
  parseCatalogue,
} from '../src/catalogue/catalogue.js';

/**
 * The catalogue is checked against the privacy statement itself, re-parsed here, so an edit to
 * either that drifts from the other fails.
 */

const catalogueDir = new URL('../src/catalogue/', import.meta.url);
const statementBytes = fs.readFileSync(new URL('privacy-statement.txt', catalogueDir));
const statement = statementBytes.toString('utf8');
const rawCatalogue: unknown = JSON.parse(fs.readFileSync(new URL('catalogue.json', catalogueDir), 'utf8'));

/** Statement order: feature name as written -> catalogue id. */
const STATEMENT_ORDER: [string, string][] = [
  ['Account login', 'account-login'],
  ['Enterprise/Organization address book', 'address-book'],
  ['Instant messaging', 'im'],
  ['Email client', 'email'],
  ['Work calendar', 'calendar'],
  ['Security management', 'security'],
  ['Audio and video meeting', 'meetings'],
  ['Live streaming', 'live-streaming'],
  ['Clouddrive', 'clouddrive'],
  ['Knowledge community', 'knowledge'],
  ['Clock-in/out', 'clock-in'],
  ['Athena', 'athena'],
  ['Instant translation', 'translation'],
  ['Approval', 'approval'],
  ['WeCode/Open platform', 'wecode'],
  ['WeForm', 'weform'],
  ['In-application search', 'search'],
  ['Management console', 'console'],
  ['Red envelope', 'red-envelope'],
];

/** The WeCode items field ends in a sentence, not a data item; the catalogue keeps it as a note. */
const WECODE_SENTENCE =
  'for details about the personal information collected by enterprise-developed or third-party applets and the collection purposes, see the privacy statement provided by each applet.';

/** Phrases that name two items joined by "and": phrase -> item ids, in order. */
const COMPOUND_PHRASES: Record<string, Record<string, string[]>> = {
  im: {
    'instant messaging content and clipboard information (only processed but not saved)': ['im-content', 'clipboard'],
  },
};

/** Phrases that group items in parentheses: phrase -> item ids of the parts, in order. */
const GROUP_PHRASES: Record<string, Record<string, string[]>> = {
  calendar: {
    'Calendar (calendar content, calendar time, calendar location)': ['calendar-content', 'calendar-time', 'calendar-location'],
  },
};

const QUALIFIERS: [string, DataItem['processing']][] = [
  ['(only processed but not saved)', 'processed_not_saved'],
  ['(read only but not saved)', 'read_not_saved'],
  ['(only for authentication, not collected)', 'authentication_only_not_collected'],
];

interface StatementRecord {
  name: string;
  purpose: string;
  categories: string;
  source: string;
  items: string;
}

function parseStatement(text: string): StatementRecord[] {
  const fields = text.split('|').map((f) => f.trim());
  // The statement ends with a separator, which leaves one empty field.
  if (fields.pop() !== '' || fields.length % 5 !== 0) throw new Error('statement is not 5-field records');
  const records: StatementRecord[] = [];
  for (let i = 0; i < fields.length; i += 5) {
    const [name, purpose, categories, source, items] = fields.slice(i, i + 5) as [string, string, string, string, string];
    records.push({ name, purpose, categories, source, items });
  }
  return records;
}

/** Splits on commas that are not inside parentheses (examples hold commas). */
function splitOutsideParens(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/** A list phrase as an item's statementText holds it: no list "and", no final full stop. */
function cleanPhrase(phrase: string): string {
  return phrase.trim().replace(/^and /, '').replace(/\s*\.$/, '').trim();
}

function itemPhrases(feature: Feature, itemsField: string): string[] {
  let field = itemsField;
  if (feature.id === 'wecode') {
    if (!field.endsWith(WECODE_SENTENCE)) throw new Error('WeCode sentence not where expected');
    field = field.slice(0, -WECODE_SENTENCE.length);
  }
  return splitOutsideParens(field).map(cleanPhrase).filter((p) => p !== '');
}

function item(feature: Feature, id: string): DataItem {
  const found = feature.items.find((i) => i.id === id);
  if (!found) throw new Error(`${feature.id} has no item ${id}`);
  return found;
}

/** The item ids a statement phrase maps to, or an empty list when none do. */
function itemsForPhrase(feature: Feature, phrase: string): string[] {
  const compound = COMPOUND_PHRASES[feature.id]?.[phrase];
  if (compound) return phrase === compound.map((id) => item(feature, id).statementText).join(' and ') ? compound : [];
  const group = GROUP_PHRASES[feature.id]?.[phrase];
  if (group) {
    const inner = /\((.*)\)$/.exec(phrase)?.[1] ?? '';
    const parts = inner.split(',').map((p) => p.trim());
    return group.every((id, i) => item(feature, id).statementText === parts[i]) && parts.length === group.length ? group : [];
  }
  return feature.items.filter((i) => i.statementText === phrase).map((i) => i.id);
}

function expectedSources(sourceField: string): string[] {
  const sources: string[] = [];
  if (sourceField.includes('submitted by the end user')) sources.push('end_user');
  if (sourceField.includes('collected by the app')) sources.push('app');
  if (sourceField.includes('uploaded by the enterprise or organization')) sources.push('enterprise');
  return sources;
}

const records = parseStatement(statement);

t.test('catalogue.json validates against the schema', async (t) => {
  const errors = Value.Errors(Catalogue, rawCatalogue).map((e) => `${e.instancePath} ${e.message}`);
  t.same(errors, []);
  t.ok(Value.Check(Catalogue, rawCatalogue));
  t.equal(catalogue.version, '1.1.0');
});

t.test('the features in statement order', async (t) => {
  t.same(
    records.map((r) => r.name),
    STATEMENT_ORDER.map(([name]) => name),
  );
  t.same(catalogueFeatureIds(), STATEMENT_ORDER.map(([, id]) => id));
  t.same(
    catalogue.features.map((f) => f.name),
    STATEMENT_ORDER.map(([name]) => name),
  );
});

t.test('sourceSha256 is the statement the repo keeps', async (t) => {
  t.equal(catalogue.sourceSha256, crypto.createHash('sha256').update(statementBytes).digest('hex'));
});

// CI checks out the shared statement beside the repo; the repo's copy must not drift from it.
const sharedStatement = new URL('../../shared/catalogue/privacy-statement.txt', import.meta.url);
t.test('statement copy matches ../shared', { skip: !fs.existsSync(sharedStatement) && 'no ../shared checkout' }, async (t) => {
  t.ok(fs.readFileSync(sharedStatement).equals(statementBytes), 'byte-identical');
});

t.test('name, purpose, sources and categories follow the statement', async (t) => {
  catalogue.features.forEach((feature, index) => {
    const record = records[index]!;
    t.equal(feature.name, record.name, `${feature.id} name`);
    t.equal(feature.purpose, record.purpose, `${feature.id} purpose`);
    t.same(feature.sources, expectedSources(record.source), `${feature.id} sources`);
    // "Account, device, network information, and data ..." -> parts match categories in order.
    const parts = record.categories.replace(/\.$/, '').split(/,\s*(?:and\s+)?|\s+and\s+/);
    t.equal(feature.categories.length, parts.length, `${feature.id} category count`);
    parts.forEach((part, i) => {
      const stem = part.replace(/ information$/i, '').toLowerCase();
      t.ok(feature.categories[i]?.toLowerCase().startsWith(stem), `${feature.id} category "${part}"`);
    });
  });
  t.same(featureById('im').categories, [
    'Account information',
    'Device information',
    'Network information',
    'Data you proactively upload',
  ]);
});

t.test('every statement phrase maps to items, and every item to a phrase', async (t) => {
  catalogue.features.forEach((feature, index) => {
    const mapped = new Set<string>();
    for (const phrase of itemPhrases(feature, records[index]!.items)) {
      const ids = itemsForPhrase(feature, phrase);
      // A plain phrase is exactly one item; compound and group phrases are their declared items.
      const expected = COMPOUND_PHRASES[feature.id]?.[phrase] ?? GROUP_PHRASES[feature.id]?.[phrase] ?? [phrase];
      t.equal(ids.length, expected.length, `${feature.id}: "${phrase}" is covered once`);
      for (const id of ids) mapped.add(id);
    }
    t.same([...mapped].sort(), itemIds(feature).sort(), `${feature.id}: no item without a phrase`);
    for (const i of feature.items) t.ok(statement.includes(i.statementText), `${feature.id}/${i.id} text is in the statement`);
  });
});

t.test('WeCode sentence is a note, not an item', async (t) => {
  const wecode = featureById('wecode');
  t.same(itemIds(wecode), ['account-id', 'name']);
  t.ok(wecode.notes?.includes(WECODE_SENTENCE));
  t.ok(records[14]!.items.endsWith(WECODE_SENTENCE));
});

t.test('meeting duplicates each keep their own item', async (t) => {
  const meetings = featureById('meetings');
  const phrases = itemPhrases(meetings, records[6]!.items);
  t.equal(phrases.filter((p) => p.startsWith('network information')).length, 2);
  t.equal(item(meetings, 'network-information').statementText.includes('network type'), true);
  t.same(item(meetings, 'network-information-source').examples, ['source IP', 'MAC address']);
  t.same(item(meetings, 'device-information').examples, ['device name', 'device model', 'operating system']);
  t.equal(item(meetings, 'device-name').statementText, 'device name');
  t.equal(item(meetings, 'device-model').statementText, 'device model');
  t.match(meetings.notes?.join(' ') ?? '', /twice/);
});

t.test('statement qualifiers are structured fields', async (t) => {
  t.equal(item(featureById('im'), 'clipboard').processing, 'processed_not_saved');
  t.equal(item(featureById('im'), 'im-content').processing, 'stored');
  t.equal(item(featureById('security'), 'clipboard').processing, 'processed_not_saved');
  t.equal(item(featureById('security'), 'app-installation-list').processing, 'read_not_saved');
  t.equal(item(featureById('email'), 'email-password').processing, 'authentication_only_not_collected');
  const keywords = item(featureById('search'), 'search-keywords');
  t.match(keywords.retention, { kind: 'latest_n', count: 20 });
  t.ok(keywords.retention?.note.includes('20'));
  // Retained keywords are kept (for a while), so they are stored.
  t.equal(keywords.processing, 'stored');
});

t.test('processing follows the qualifier in each item text, everywhere', async (t) => {
  for (const feature of catalogue.features) {
    for (const i of feature.items) {
      const qualifier = QUALIFIERS.find(([text]) => i.statementText.includes(text));
      t.equal(i.processing, qualifier?.[1] ?? 'stored', `${feature.id}/${i.id}`);
      const latest = /latest (\d+) keywords are retained/.exec(i.statementText);
      t.equal(i.retention?.count, latest ? Number(latest[1]) : undefined, `${feature.id}/${i.id} retention`);
    }
  }
  const notStored = catalogue.features.flatMap((f) => f.items.filter((i) => i.processing !== 'stored').map((i) => `${f.id}/${i.id}`));
  t.same(notStored.sort(), ['email/email-password', 'im/clipboard', 'security/app-installation-list', 'security/clipboard']);
});

t.test('item ids are unique within each feature', async (t) => {
  for (const feature of catalogue.features) {
    const ids = itemIds(feature);
    t.equal(new Set(ids).size, ids.length, feature.id);
  }
});

t.test('loader helpers and validation', async (t) => {
  t.equal(featureById('clouddrive').name, 'Clouddrive');
  t.throws(() => featureById('nope'), /Unknown catalogue feature: nope/);
  t.same(itemIds('calendar'), ['account-id', 'calendar-content', 'calendar-time', 'calendar-location']);
  t.same(item(featureById('clouddrive'), 'file-attributes').examples, ['name', 'owner', 'permissions']);

  const broken = structuredClone(catalogue);
  broken.features[0]!.items.push({ ...broken.features[0]!.items[0]! });
  t.throws(() => parseCatalogue(broken), /account-login: duplicate item id account-id/);
  const badProcessing = JSON.parse(JSON.stringify(catalogue)) as { features: { items: { processing: string }[] }[] };
  badProcessing.features[0]!.items[0]!.processing = 'kept';
  t.throws(() => parseCatalogue(badProcessing), /Invalid catalogue/);
});

t.test('recipients, transfers and retention say what the statement says, nothing more', async (t) => {
  const { builtInAdapters } = await import('../src/features/registry.js');
  catalogue.features.forEach((feature, index) => {
    const record = records[index]!;
    const fields = `${record.purpose}\n${record.items}`;
    for (const recipient of feature.recipients) {
      t.ok(fields.includes(recipient.statementText), `${feature.id}: ${recipient.id} comes from the statement's "${recipient.statementText}"`);
      if (!recipient.perSubject) continue;
      // A recipient the subject's rows decide is found by the built-in adapter before an erasure.
      const adapter = builtInAdapters.get(feature.id);
      t.ok(adapter?.datasets.some((d) => d.recipients?.recipient === recipient.id), `${feature.id}: a dataset of the adapter names ${recipient.id}`);
    }
    t.equal(feature.recipients[0]?.id, 'welink', `${feature.id}: the suite's service processes it for the enterprise`);
    // The statement says nothing about transfers; its only retention words are the search keywords'.
    t.equal(feature.transfers, 'not_stated', `${feature.id}: no transfers invented`);
    if (feature.retention.kind === 'stated') t.ok(fields.includes(feature.retention.statementText), `${feature.id}: retention from the statement`);
  });
  t.same(
    catalogue.features.filter((f) => f.retention.kind === 'stated').map((f) => f.id),
    ['search'],
    'retention stated for search only',
  );
  t.same(
    catalogue.features.flatMap((f) => f.recipients.filter((r) => r.id !== 'welink').map((r) => `${f.id}:${r.id}:${r.role}`)),
    ['account-login:huawei-id:subject_account', 'wecode:wecode-applets:independent_controller', 'console:huawei-cloud:processor', 'red-envelope:alipay:subject_account'],
  );
  t.equal(catalogue.automatedDecisions.described, false, 'the statement describes no automated decisions');
});
