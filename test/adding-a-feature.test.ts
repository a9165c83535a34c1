import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { LocalBlobStore } from '../src/blobs/blob-store.js';
import { connect } from '../src/db/client.js';
import { dataset, declarativeAdapter } from '../src/features/declarative.js';
import { FEATURES } from '../src/features/features.js';
import { messages } from '../src/features/im/tables.js';
import { tableName } from '../src/features/sql-text.js';
import { seedDemo } from '../src/demo/seed.js';
import { projectRoot } from '../src/paths.js';
import type * as Adapter from '../src/features/adapter.js';
import type * as Client from '../src/db/client.js';
import type * as Migrate from '../src/db/migrate.js';
import type * as Registry from '../src/features/registry.js';
import type * as Seed from '../src/demo/seed.js';
import { createTestDatabase } from './helper.js';

/**
 * docs/adding-a-feature.md, followed in a temporary copy of the project: the example folder from the
 * page, one line in the feature list, the catalogue entry, a generated migration. The copy must
 * migrate, seed its demo and answer access and deletion for the new feature through its registry. (A
 * type check of the copy would take a minute of a loaded machine; a key the table does not have
 * fails the copy's start-up, and the last test shows it fails the type check too.)
 */

const run = promisify(execFile);
const ID = 'notes';
const today = new Date('2026-06-01T00:00:00Z');
const alice = { tenantId: 'acme', accountId: 'alice' };

/** The files the page gives in full, as `#### \`path\`` followed by a code block. */
async function filesOfThePage(): Promise<Map<string, string>> {
  const page = await readFile(path.join(projectRoot, 'docs', 'adding-a-feature.md'), 'utf8');
  const files = new Map<string, string>();
  for (const m of page.matchAll(/^#### `([^`]+)`\n\n```\w+\n([\s\S]*?)^```$/gm)) files.set(m[1]!, m[2]!);
  return files;
}

async function copyProject(): Promise<string> {
  const copy = await mkdtemp(path.join(os.tmpdir(), 'dsar-add-feature-'));
  for (const entry of ['src', 'drizzle', 'package.json', 'tsconfig.json', 'drizzle.config.ts']) {
    await cp(path.join(projectRoot, entry), path.join(copy, entry), { recursive: true });
  }
  await symlink(path.join(projectRoot, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  return copy;
}

async function edit(t: Test, file: string, change: (text: string) => string): Promise<void> {
  const text = await readFile(file, 'utf8');
  const changed = change(text);
  t.not(changed, text, `${path.relative(copy, file)} changed`);
  await writeFile(file, changed);
}

const copy = await copyProject();
t.teardown(() => rm(copy, { recursive: true, force: true }));

t.test('the page gives the folder', async (t) => {
  const files = await filesOfThePage();
  t.same([...files.keys()].sort(), ['adapter.ts', 'demo.ts', 'feature.ts', 'tables.ts'].map((f) => `src/features/${ID}/${f}`));
  await mkdir(path.join(copy, 'src', 'features', ID));
  for (const [file, text] of files) await writeFile(path.join(copy, file), text);
});

t.test('the list and the catalogue entry', async (t) => {
  await edit(t, path.join(copy, 'src/features/features.ts'), (text) =>
    text
      .replace(/^(import \{ feature as weform \} from '\.\/weform\/feature\.js';)$/m, `$1\nimport { feature as notes } from './notes/feature.js';`)
      .replace(/^ {2}redEnvelope,\n\];/m, '  redEnvelope,\n  notes,\n];'),
  );
  await edit(t, path.join(copy, 'src/catalogue/schema.ts'), (text) => text.replace(/^ {2}'red-envelope',\n\] as const;/m, `  'red-envelope',\n  '${ID}',\n] as const;`));
  const page = await readFile(path.join(projectRoot, 'docs', 'adding-a-feature.md'), 'utf8');
  const entry: unknown = JSON.parse(/Its catalogue entry:\n\n```json\n([\s\S]*?)\n```/.exec(page)![1]!);
  await edit(t, path.join(copy, 'src/catalogue/catalogue.json'), (text) => {
    const catalogue = JSON.parse(text) as { features: unknown[] };
    catalogue.features.push(entry);
    return `${JSON.stringify(catalogue, null, 2)}\n`;
  });
});

t.test('a generated migration creates the store', async (t) => {
  const before = new Set(await readdir(path.join(copy, 'drizzle')));
  await run(path.join(projectRoot, 'node_modules/.bin/drizzle-kit'), ['generate'], { cwd: copy });
  const added = (await readdir(path.join(copy, 'drizzle'))).filter((f) => !before.has(f));
  t.equal(added.length, 1, 'one new migration');
  const migration = await readFile(path.join(copy, 'drizzle', added[0]!), 'utf8');
  t.match(migration, /CREATE SCHEMA "notes"/);
  t.match(migration, /CREATE TABLE "notes"\."entries"/);
  t.notMatch(migration, /"im"|"calendar"|DROP /, 'and touches nothing else');
});

t.test('the copy migrates, seeds and answers for the new feature', async (t) => {
  const load = <T>(file: string): Promise<T> => import(pathToFileURL(path.join(copy, file)).href) as Promise<T>;
  const { runMigrations } = await load<typeof Migrate>('src/db/migrate.ts');
  const { connect: connectCopy } = await load<typeof Client>('src/db/client.ts');
  const { seedDemo: seedCopy } = await load<typeof Seed>('src/demo/seed.ts');
  const { builtInAdapters } = await load<typeof Registry>('src/features/registry.ts');
  const { rowValues } = await load<typeof Adapter>('src/features/adapter.ts');

  const url = await createTestDatabase(t);
  await runMigrations(url);
  const db = connectCopy(url);
  const blobDir = await mkdtemp(path.join(os.tmpdir(), 'dsar-add-feature-blobs-'));
  t.teardown(async () => {
    await db.close();
    await rm(blobDir, { recursive: true, force: true });
  });
  const ctx = { sql: db.sql, blobs: new LocalBlobStore(blobDir), log: pino({ level: 'silent' }) };
  await seedCopy(db.sql, ctx.blobs, { today });

  const notes = builtInAdapters.get(ID as never);
  t.ok(notes, 'the registry has the new feature');
  t.same(notes!.datasets.map((d) => [d.name, d.columns, d.items]), [
    ['notes', ['account_id', 'title', 'body', 'written_at'], { account_id: 'account-id', title: 'note-content', body: 'note-content' }],
  ]);
  const [stored] = await db.sql`select count(*)::int as n from notes.entries where tenant_id = 'acme' and account_id = 'alice'`;
  t.ok(stored!.n > 0, 'the demo wrote alice some notes');
  t.same(await notes!.locate(alice, ctx), { notes: stored!.n });
  const rows = [];
  for await (const record of notes!.collect(alice, ctx)) rows.push(rowValues(record));
  t.equal(rows.length, stored!.n, 'collect gives her notes');
  t.ok(rows.every((r) => r.account_id === 'alice' && typeof r.title === 'string'), 'with the columns of the description');
  t.same(rows.map((r) => r.written_at), rows.map((r) => r.written_at).sort(), 'in the order of the description');

  const [outcome] = await notes!.erase(alice, ctx);
  t.match(outcome, { dataset: 'notes', deleted: stored!.n, anonymized: 0, kept: 0, items: ['account-id', 'note-content'] });
  t.same(await notes!.locate(alice, ctx), { notes: 0 }, 'nothing of hers is left');
  const [others] = await db.sql`select count(*)::int as n from notes.entries`;
  t.ok(others!.n > 0, "other people's notes stay");

  // The new feature seeds in a round of its own: the other features' demo data is what it was without it.
  const without = connect(await createTestDatabase(t));
  const withoutDir = await mkdtemp(path.join(os.tmpdir(), 'dsar-add-feature-blobs-'));
  t.teardown(async () => {
    await without.close();
    await rm(withoutDir, { recursive: true, force: true });
  });
  await seedDemo(without.sql, new LocalBlobStore(withoutDir), { today });
  for (const table of FEATURES.flatMap((f) => f.tables.map(tableName))) {
    const digest = `select md5(coalesce(string_agg(r::text, ',' order by r::text), '')) as d from ${table} r`;
    t.same(await db.sql.unsafe(digest), await without.sql.unsafe(digest), `${table}: the same demo data`);
  }
});

t.test('a column the table does not have fails the type check, and at start-up', async (t) => {
  const described = () =>
    declarativeAdapter({
      feature: 'im',
      datasets: [
        dataset({
          name: 'messages',
          title: 'Messages',
          table: messages,
          where: 'messages.sender_account_id = :account',
          // @ts-expect-error: `sentAtt` is not a column of im.messages
          columns: { sentAtt: null },
        }),
      ],
    });
  t.throws(described, /im\.messages has no column sentAtt/);
});
