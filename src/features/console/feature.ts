import type { Feature } from '../feature.js';
import { consoleAdapter } from './adapter.js';
import { seedConsole } from './demo.js';
import { administrators, operationLogs } from './tables.js';

export const feature: Feature = {
  id: 'console',
  tables: [administrators, operationLogs],
  adapter: consoleAdapter,
  demo: { round: 2, seed: seedConsole },
};
