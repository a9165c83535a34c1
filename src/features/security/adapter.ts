import { dataset, declarativeAdapter } from '../declarative.js';
import { NETWORK_LOGS } from '../retention.js';
import { devices, loginLogs, operationLogs, profiles } from './tables.js';

export const securityAdapter = declarativeAdapter({
  feature: 'security',
  datasets: [
    dataset({
      name: 'profile',
      title: 'Security management profile',
      table: profiles,
      where: 'profiles.account_id = :account',
      columns: {
        accountId: 'account-id',
        name: 'name',
        phoneNumber: 'phone-number',
        email: 'email-address',
        department: 'department',
      },
    }),
    dataset({
      name: 'devices',
      title: 'Managed devices',
      table: devices,
      where: 'devices.account_id = :account',
      columns: {
        accountId: 'account-id',
        deviceId: 'device-id',
        deviceName: 'device-information',
        deviceModel: 'device-information',
        os: 'device-information',
        networkType: 'network-information',
        macAddress: 'network-information',
        ipAddress: 'network-information',
        wifiSsid: 'network-information',
        enrolledAt: 'device-information',
        lastSeenAt: 'device-information',
      },
      orderBy: ['enrolledAt', 'id'],
    }),
    dataset({
      name: 'login-logs',
      title: 'Login logs',
      table: loginLogs,
      where: 'login_logs.account_id = :account',
      columns: {
        accountId: 'account-id',
        occurredAt: 'login-logs',
        method: 'login-logs',
        result: 'login-logs',
        client: 'login-logs',
        deviceId: 'device-id',
        ipAddress: 'network-information',
      },
      orderBy: ['occurredAt', 'id'],
      retention: { ...NETWORK_LOGS, since: 'occurredAt', restricted: 'restrictedUntil' },
    }),
    dataset({
      name: 'operation-logs',
      title: 'Operation logs',
      table: operationLogs,
      where: 'operation_logs.account_id = :account',
      columns: {
        accountId: 'account-id',
        occurredAt: 'user-operation-logs',
        operation: 'user-operation-logs',
        target: 'user-operation-logs',
        result: 'user-operation-logs',
        deviceId: 'device-id',
        ipAddress: 'network-information',
      },
      orderBy: ['occurredAt', 'id'],
      retention: { ...NETWORK_LOGS, since: 'occurredAt', restricted: 'restrictedUntil' },
    }),
  ],
});
