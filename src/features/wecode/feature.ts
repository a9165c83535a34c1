import type { Feature } from '../feature.js';
import { wecodeAdapter } from './adapter.js';
import { seedWecode } from './demo.js';
import { authorizations, usage } from './tables.js';

export const feature: Feature = {
  id: 'wecode',
  tables: [authorizations, usage],
  adapter: wecodeAdapter,
  demo: { round: 2, seed: seedWecode },
};
