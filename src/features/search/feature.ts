import type { Feature } from '../feature.js';
import { searchAdapter } from './adapter.js';
import { seedSearch } from './demo.js';
import { keywords, people } from './tables.js';

export const feature: Feature = {
  id: 'search',
  tables: [people, keywords],
  adapter: searchAdapter,
  demo: { round: 2, seed: seedSearch },
};
