import type { Feature } from '../feature.js';
import { clockInAdapter } from './adapter.js';
import { seedClockIn } from './demo.js';
import { blobDeletions, profiles, records } from './tables.js';
import { clockInTable } from './view.js';

export const feature: Feature = {
  id: 'clock-in',
  tables: [profiles, records, blobDeletions],
  adapter: clockInAdapter,
  demo: { round: 1, seed: seedClockIn },
  view: clockInTable,
};
