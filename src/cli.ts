#!/usr/bin/env node
// The process's entry: package types are cached (a hook on module resolution) before any of the
// commands' modules is resolved, which a static import of them would do first.
import './package-types.js';
import { restartWithWorkerHeap } from './worker/heap.js';

// The commands that run a worker size its heap before anything else is loaded (worker/heap.ts).
if (process.argv[2] === 'worker' || process.argv[2] === 'up') restartWithWorkerHeap();
await import('./commands.js');
