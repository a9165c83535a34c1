import type { FeatureAdapter } from '../adapter.js';
import { dataset, declarativeAdapter } from '../declarative.js';
import { accounts, thirdPartyAccounts } from './tables.js';
import { correctAccount } from './correct.js';

const described = declarativeAdapter({
  feature: 'account-login',
  datasets: [
    dataset({
      name: 'account',
      title: 'Login account',
      table: accounts,
      where: 'accounts.account_id = :account',
      // The password hash is never output: `password_set` says that a password is held.
      columns: {
        accountId: 'account-id',
        mobile: 'mobile-number',
        email: 'email-address',
        passwordSet: 'welink-login-password',
        passwordChangedAt: 'welink-login-password',
        createdAt: null,
      },
    }),
    dataset({
      name: 'third-party-accounts',
      title: 'Linked third-party accounts',
      table: thirdPartyAccounts,
      where: 'third_party_accounts.account_id = :account',
      columns: {
        accountId: 'account-id',
        provider: 'third-party-account',
        externalId: 'third-party-account',
        linkedAt: 'third-party-account',
      },
      orderBy: ['linkedAt', 'id'],
    }),
  ],
});

/** The declarative adapter, and corrections of its mobile number and email address (correct.ts). */
export const accountLoginAdapter: FeatureAdapter = { ...described, correct: correctAccount };
