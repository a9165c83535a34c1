import { dataset, declarativeAdapter } from '../declarative.js';
import { accounts, thirdPartyAccounts } from './tables.js';

export const accountLoginAdapter = declarativeAdapter({
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
