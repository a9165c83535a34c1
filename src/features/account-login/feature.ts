import type { Feature } from '../feature.js';
import { accountLoginAdapter } from './adapter.js';
import { seedAccountLogin } from './demo.js';
import { accounts, thirdPartyAccounts } from './tables.js';

export const feature: Feature = {
  id: 'account-login',
  tables: [accounts, thirdPartyAccounts],
  adapter: accountLoginAdapter,
  demo: { round: 2, seed: seedAccountLogin },
};
