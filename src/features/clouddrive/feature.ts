import type { Feature } from '../feature.js';
import { clouddriveAdapter } from './adapter.js';
import { seedClouddrive } from './demo.js';
import { blobDeletions, files, folders, permissions, users } from './tables.js';
import { driveTree } from './view.js';

export const feature: Feature = {
  id: 'clouddrive',
  tables: [users, folders, files, permissions, blobDeletions],
  adapter: clouddriveAdapter,
  demo: { round: 1, seed: seedClouddrive },
  view: driveTree,
};
