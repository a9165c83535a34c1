import { declarativeAdapter } from '../declarative.js';

export const wecodeAdapter = declarativeAdapter({
  feature: 'wecode',
  datasets: [
    {
      name: 'authorizations',
      title: 'Applets you let see your account',
      table: 'wecode.authorizations',
      where: 'authorizations.account_id = :account',
      columns: { account_id: 'account-id', name: 'name', applet: null, scopes: null, granted_at: null },
      orderBy: 'granted_at, id',
    },
    {
      name: 'usage',
      title: 'Applet usage',
      table: 'wecode.usage',
      where: 'usage.account_id = :account',
      columns: { account_id: 'account-id', applet: null, opened_at: null, duration_seconds: null },
      orderBy: 'opened_at, id',
    },
  ],
});
