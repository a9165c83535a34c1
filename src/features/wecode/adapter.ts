import { dataset, declarativeAdapter } from '../declarative.js';
import { authorizations, usage } from './tables.js';

export const wecodeAdapter = declarativeAdapter({
  feature: 'wecode',
  datasets: [
    dataset({
      name: 'authorizations',
      title: 'Applets you let see your account',
      table: authorizations,
      where: 'authorizations.account_id = :account',
      columns: { accountId: 'account-id', name: 'name', applet: null, scopes: null, grantedAt: null },
      orderBy: ['grantedAt', 'id'],
      // Each applet authorized received the account id and name (the catalogue's recipient).
      recipients: { recipient: 'wecode-applets', named: 'applet' },
    }),
    dataset({
      name: 'usage',
      title: 'Applet usage',
      table: usage,
      where: 'usage.account_id = :account',
      columns: { accountId: 'account-id', applet: null, openedAt: null, durationSeconds: null },
      orderBy: ['openedAt', 'id'],
    }),
  ],
});
