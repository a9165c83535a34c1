import { readFileSync, realpathSync } from 'node:fs';
import { registerHooks, type ResolveFnOutput } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Node (24, and 26 still) looks up the nearest package.json again for every ES module file it resolves,
 * and each lookup parses that package.json's whole `exports` map anew. drizzle-orm's package.json is
 * 179 KB and a process loads ~300 of its files: a second of CPU at start, and a heap grown by the garbage
 * that every API and worker process then carries (figures in bench/README.md). So relative imports between the files of an installed
 * ES module package are resolved here, with the nearest package.json's `type` read once per directory;
 * everything else (and anything unusual: a symlink, a missing file, CommonJS) goes to Node's resolver.
 * Importing this module installs the hook: the CLI imports it before its commands (src/cli.ts).
 */
registerHooks({
  resolve: (specifier, context, nextResolve) => resolveInPackage(specifier, context.parentURL) ?? nextResolve(specifier, context),
});

const typeOfDirectory = new Map<string, string>();

/** The ES module a relative specifier names inside an installed package, or undefined to let Node resolve it. */
export function resolveInPackage(specifier: string, parentURL: string | undefined): ResolveFnOutput | undefined {
  if (!parentURL?.startsWith('file:') || !parentURL.includes('/node_modules/')) return undefined;
  if (!(specifier.startsWith('./') || specifier.startsWith('../')) || /[?#%\\]/.test(specifier)) return undefined;
  const url = new URL(specifier, parentURL);
  const file = fileURLToPath(url);
  if (!file.endsWith('.js') || !isPlainFile(file)) return undefined;
  if (packageType(path.dirname(file)) !== 'module') return undefined;
  return { url: pathToFileURL(file).href, format: 'module', shortCircuit: true };
}

/** A file that exists and is its own real path (Node's resolver would follow a symlink to another URL). */
function isPlainFile(file: string): boolean {
  try {
    return realpathSync.native(file) === file;
  } catch {
    return false;
  }
}

/** The `type` of the nearest package.json, looked up as Node does (not past a node_modules folder). */
function packageType(directory: string): string {
  const known = typeOfDirectory.get(directory);
  if (known !== undefined) return known;
  const type = readType(path.join(directory, 'package.json')) ?? (isPackageScopeEnd(directory) ? 'none' : packageType(path.dirname(directory)));
  typeOfDirectory.set(directory, type);
  return type;
}

function isPackageScopeEnd(directory: string): boolean {
  return path.basename(directory) === 'node_modules' || path.dirname(directory) === directory;
}

function readType(packageJson: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(packageJson, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const type: unknown = (JSON.parse(text) as { type?: unknown }).type;
    return type === 'module' ? 'module' : 'commonjs';
  } catch {
    return 'invalid';
  }
}
