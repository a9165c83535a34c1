import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { resolveInPackage } from '../src/package-types.js';

// src/package-types.ts resolves relative imports inside installed ES module packages itself (a Node
// resolver cost, see there). What it resolves must be what Node resolves; anything else goes to Node.

const run = promisify(execFile);

async function fixture(t: Test): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'package-types-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'node_modules/esm/package.json': JSON.stringify({ name: 'esm', type: 'module', exports: { '.': './index.js' } }),
    'node_modules/esm/index.js': "export * from './lib/a.js';",
    'node_modules/esm/lib/a.js': 'export const a = 1;',
    'node_modules/esm/cjs/package.json': JSON.stringify({ type: 'commonjs' }),
    'node_modules/esm/cjs/b.js': 'exports.b = 2;',
    'node_modules/cjs/package.json': JSON.stringify({ name: 'cjs' }),
    'node_modules/cjs/index.js': 'exports.c = 3;',
    'node_modules/cjs/c.js': 'exports.c = 3;',
    'node_modules/bare/index.js': 'export const d = 4;',
    'node_modules/bare/d.js': 'export const d = 4;',
    'package.json': JSON.stringify({ type: 'module' }),
  };
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), text);
  }
  await symlink(path.join(root, 'node_modules/esm/lib/a.js'), path.join(root, 'node_modules/esm/lib/linked.js'));
  return root;
}

t.test('a relative import inside an ES module package is resolved to the file, as a module', async (t) => {
  const root = await fixture(t);
  const parent = pathToFileURL(path.join(root, 'node_modules/esm/index.js')).href;
  t.same(resolveInPackage('./lib/a.js', parent), {
    url: pathToFileURL(path.join(root, 'node_modules/esm/lib/a.js')).href,
    format: 'module',
    shortCircuit: true,
  });
  t.equal(resolveInPackage('../index.js', `${pathToFileURL(path.join(root, 'node_modules/esm/lib/a.js')).href}`)?.url, parent);
});

t.test("everything else is left to Node's resolver", async (t) => {
  const root = await fixture(t);
  const inEsm = pathToFileURL(path.join(root, 'node_modules/esm/index.js')).href;
  const cases: Array<[string, string | undefined, string]> = [
    ['esm', inEsm, 'a bare specifier'],
    ['./lib/a.js', pathToFileURL(path.join(root, 'main.js')).href, 'a parent outside node_modules'],
    ['./lib/a.js', undefined, 'no parent (the entry point)'],
    ['./lib/missing.js', inEsm, 'a file that does not exist'],
    ['./lib/linked.js', inEsm, 'a symlink (Node would follow it to another URL)'],
    ['./lib', inEsm, 'a directory'],
    ['./lib/a.js?x=1', inEsm, 'a query'],
    ['./cjs/b.js', inEsm, 'a folder whose package.json says commonjs'],
    ['./c.js', pathToFileURL(path.join(root, 'node_modules/cjs/index.js')).href, 'a package without a type'],
    ['./d.js', pathToFileURL(path.join(root, 'node_modules/bare/index.js')).href, 'a package without package.json (not the project above it)'],
  ];
  for (const [specifier, parent, what] of cases) t.equal(resolveInPackage(specifier, parent), undefined, what);
});

t.test('a process with the hook loads drizzle-orm as one set of modules, smaller', async (t) => {
  // Node resolves the bare specifiers, the hook their relative imports: one module instance per file
  // only if both name it by the same URL (drizzle's `is()` compares classes across its files).
  const probe = `
    import './src/package-types.ts';
    const { is, Column, entityKind } = await import('drizzle-orm');
    const entity = await import('drizzle-orm/entity');
    const { pgTable, text, PgColumn } = await import('drizzle-orm/pg-core');
    const table = pgTable('t', { name: text('name') });
    console.log(JSON.stringify({
      sameEntity: entity.entityKind === entityKind,
      isColumn: is(table.name, Column) && is(table.name, PgColumn),
      rssMb: Math.round(process.memoryUsage().rss / 1e6),
    }));`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { cwd: process.cwd() });
  const seen = JSON.parse(stdout.trim().split('\n').at(-1)!) as { sameEntity: boolean; isColumn: boolean; rssMb: number };
  t.ok(seen.sameEntity, 'drizzle-orm/entity is the module drizzle-orm imports');
  t.ok(seen.isColumn, "drizzle's class checks hold across its files");
  // Without the hook the same imports leave the process at ~250 MB (Node 24.21); with it, ~60 MB + tsx.
  t.ok(seen.rssMb < 150, `RSS after loading drizzle-orm: ${seen.rssMb} MB`);
});
