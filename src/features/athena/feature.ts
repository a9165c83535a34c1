import type { Feature } from '../feature.js';
import { athenaAdapter } from './adapter.js';
import { seedAthena } from './demo.js';
import { blobDeletions, dialogs, inputs } from './tables.js';

export const feature: Feature = {
  id: 'athena',
  tables: [dialogs, inputs, blobDeletions],
  adapter: athenaAdapter,
  demo: { round: 2, seed: seedAthena },
};
