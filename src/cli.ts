#!/usr/bin/env node
// The process's entry: package types are cached (a hook on module resolution) before any of the
// commands' modules is resolved, which a static import of them would do first.
import './package-types.js';

await import('./commands.js');
