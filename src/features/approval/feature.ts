import type { Feature } from '../feature.js';
import { approvalAdapter } from './adapter.js';
import { seedApproval } from './demo.js';
import { profiles, steps, submissions } from './tables.js';

export const feature: Feature = {
  id: 'approval',
  tables: [profiles, submissions, steps],
  adapter: approvalAdapter,
  demo: { round: 2, seed: seedApproval },
};
