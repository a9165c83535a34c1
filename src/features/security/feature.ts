import type { Feature } from '../feature.js';
import { securityAdapter } from './adapter.js';
import { seedSecurity } from './demo.js';
import { devices, loginLogs, operationLogs, profiles } from './tables.js';

export const feature: Feature = {
  id: 'security',
  tables: [profiles, devices, loginLogs, operationLogs],
  adapter: securityAdapter,
  demo: { round: 2, seed: seedSecurity },
};
