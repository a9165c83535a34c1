import type { Feature } from '../feature.js';
import { emailAdapter } from './adapter.js';
import { seedEmail } from './demo.js';
import { accounts, mailboxes } from './tables.js';

export const feature: Feature = {
  id: 'email',
  tables: [accounts, mailboxes],
  adapter: emailAdapter,
  demo: { round: 2, seed: seedEmail },
};
