#!/usr/bin/env node
// The worker process on its own (the same as `dsar worker`); its wiring is src/worker/worker.ts.
process.argv.splice(2, process.argv.length - 2, 'worker');
await import('../src/cli.js');
