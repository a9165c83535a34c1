import { declarativeAdapter } from '../declarative.js';
import { NETWORK_LOGS } from '../retention.js';

export const consoleAdapter = declarativeAdapter({
  feature: 'console',
  datasets: [
    {
      name: 'administrator',
      title: 'Console administrator',
      table: 'console.administrators',
      where: 'administrators.account_id = :account',
      columns: {
        account_id: 'account-id',
        name: 'name',
        email: 'email-address',
        huawei_cloud_account: 'huawei-cloud-account',
        role: null,
        created_at: null,
      },
    },
    {
      name: 'operation-logs',
      title: 'Console operation logs',
      table: 'console.operation_logs',
      where: 'operation_logs.account_id = :account',
      columns: {
        account_id: 'account-id',
        occurred_at: 'user-operation-log',
        operation: 'user-operation-log',
        target: 'user-operation-log',
        result: 'user-operation-log',
        ip_address: 'ip-address',
      },
      orderBy: 'occurred_at, id',
      retention: { ...NETWORK_LOGS, since: 'occurred_at' },
    },
  ],
});
