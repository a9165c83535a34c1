// Preloaded into every test process (.taprc `node-arg`): each of the ~60 test files is its own process,
// and importing the system costs each one seconds of CPU before its first test. Two causes are cut here.
import { enableCompileCache, registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

// V8's compiled code for the dependencies, kept on disk between processes.
enableCompileCache(fileURLToPath(new URL('../../node_modules/.cache/node-compile-cache', import.meta.url)));

// drizzle-orm's package.json is 179 KB of "exports". Node 24 parses that map again each time it resolves
// a file of the package (to read its "type") and each time one of our modules imports it: about a
// second of CPU per process. Its own files are ES modules that import each other by relative path, so
// they resolve as plain URLs; our imports of the package resolve once per specifier.
const drizzle = new URL('../../node_modules/drizzle-orm/', import.meta.url).href;
const resolved = new Map();

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (context.parentURL?.startsWith(drizzle) && /^\.\.?\/.*\.js$/.test(specifier)) {
      return { url: new URL(specifier, context.parentURL).href, format: 'module', shortCircuit: true };
    }
    const ours = !context.parentURL?.includes('/node_modules/');
    if (!ours || (specifier !== 'drizzle-orm' && !specifier.startsWith('drizzle-orm/'))) return nextResolve(specifier, context);
    const key = `${specifier} ${context.conditions?.join()}`;
    let result = resolved.get(key);
    if (!result) {
      result = { ...nextResolve(specifier, context), shortCircuit: true };
      resolved.set(key, result);
    }
    return result;
  },
});
