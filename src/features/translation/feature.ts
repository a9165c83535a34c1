import type { Feature } from '../feature.js';
import { translationAdapter } from './adapter.js';
import { seedTranslation } from './demo.js';
import { jobs } from './tables.js';

export const feature: Feature = {
  id: 'translation',
  tables: [jobs],
  adapter: translationAdapter,
  demo: { round: 2, seed: seedTranslation },
};
