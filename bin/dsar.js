#!/usr/bin/env node
// `npx dsar ...`: runs the compiled CLI (npm run build makes dist/).
import { existsSync } from 'node:fs';
const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('dsar is not built yet: run `npm run build` first.');
  process.exit(1);
}
await import(cli.href);
