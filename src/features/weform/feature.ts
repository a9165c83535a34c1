import type { Feature } from '../feature.js';
import { weformAdapter } from './adapter.js';
import { seedWeform } from './demo.js';
import { forms, submissions } from './tables.js';

export const feature: Feature = {
  id: 'weform',
  tables: [forms, submissions],
  adapter: weformAdapter,
  demo: { round: 2, seed: seedWeform },
};
