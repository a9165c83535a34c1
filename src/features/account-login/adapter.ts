import { declarativeAdapter } from '../declarative.js';

export const accountLoginAdapter = declarativeAdapter({
  feature: 'account-login',
  datasets: [
    {
      name: 'account',
      title: 'Login account',
      table: 'account_login.accounts',
      where: 'accounts.account_id = :account',
      // The password hash is never output: `password_set` says that a password is held.
      columns: {
        account_id: 'account-id',
        mobile: 'mobile-number',
        email: 'email-address',
        password_set: 'welink-login-password',
        password_changed_at: 'welink-login-password',
        created_at: null,
      },
    },
    {
      name: 'third-party-accounts',
      title: 'Linked third-party accounts',
      table: 'account_login.third_party_accounts',
      where: 'third_party_accounts.account_id = :account',
      columns: {
        account_id: 'account-id',
        provider: 'third-party-account',
        external_id: 'third-party-account',
        linked_at: 'third-party-account',
      },
      orderBy: 'linked_at, id',
    },
  ],
});
