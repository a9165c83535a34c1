import { dataset, declarativeAdapter } from '../declarative.js';
import { NETWORK_LOGS } from '../retention.js';
import { administrators, operationLogs } from './tables.js';

export const consoleAdapter = declarativeAdapter({
  feature: 'console',
  datasets: [
    dataset({
      name: 'administrator',
      title: 'Console administrator',
      table: administrators,
      where: 'administrators.account_id = :account',
      columns: {
        accountId: 'account-id',
        name: 'name',
        email: 'email-address',
        huaweiCloudAccount: 'huawei-cloud-account',
        role: null,
        createdAt: null,
      },
    }),
    dataset({
      name: 'operation-logs',
      title: 'Console operation logs',
      table: operationLogs,
      where: 'operation_logs.account_id = :account',
      columns: {
        accountId: 'account-id',
        occurredAt: 'user-operation-log',
        operation: 'user-operation-log',
        target: 'user-operation-log',
        result: 'user-operation-log',
        ipAddress: 'ip-address',
      },
      orderBy: ['occurredAt', 'id'],
      retention: { ...NETWORK_LOGS, since: 'occurredAt', restricted: 'restrictedUntil' },
    }),
  ],
});
