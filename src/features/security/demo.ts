import { after, before, loggedAt, type DemoData } from '../../demo/data.js';
import { followed, type DemoTenant, type Person } from '../../demo/people.js';

/** Demo security management: a profile and managed devices per person, and months of login and operation logs. */

const DEVICES = [
  { name: 'Work phone', model: 'iPhone 15', os: 'iOS 17.4' },
  { name: 'Work phone', model: 'Galaxy S24', os: 'Android 14' },
  { name: 'Laptop', model: 'ThinkPad X1 Carbon', os: 'Windows 11' },
  { name: 'Laptop', model: 'MacBook Air M2', os: 'macOS 14.3' },
];
const NETWORKS = ['wifi', 'wifi', '4g', '5g', 'ethernet'];
const LOGIN_METHODS = ['password', 'password', 'sso', 'sms_code', 'qr_code'] as const;
const LOGIN_RESULTS = ['success', 'success', 'success', 'success', 'wrong_password', 'wrong_code'] as const;
const CLIENTS = ['WeLink Android 7.41', 'WeLink iOS 7.41', 'WeLink Windows 7.40', 'WeLink macOS 7.40', 'Web browser'];
const OPERATIONS = [
  { operation: 'file.download', target: 'clouddrive file' },
  { operation: 'file.share_external', target: 'clouddrive file' },
  { operation: 'message.forward', target: 'group chat' },
  { operation: 'message.recall', target: 'direct chat' },
  { operation: 'screenshot', target: 'watermarked document' },
  { operation: 'settings.change', target: 'lock screen' },
  { operation: 'device.register', target: 'new device' },
];
const OPERATION_RESULTS = ['success', 'success', 'success', 'denied', 'failed'] as const;
const ENROLLED = new Date('2024-02-05T09:00:00Z');

function ipAddress(data: DemoData): string {
  const r = data.random;
  return `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
}

function devices(data: DemoData, tenant: DemoTenant, person: Person): string[] {
  const r = data.random;
  return r.sample(DEVICES, r.int(1, 2)).map((device) => {
    const deviceId = r.hex(8);
    const network = r.pick(NETWORKS);
    data.add('security.devices', {
      id: data.id(),
      tenant_id: tenant.id,
      account_id: person.accountId,
      device_id: deviceId,
      device_name: device.name,
      device_model: device.model,
      os: device.os,
      network_type: network,
      mac_address: r.hex(6).match(/../g)!.join(':'),
      ip_address: ipAddress(data),
      wifi_ssid: network === 'wifi' ? `${tenant.name} Staff` : null,
      enrolled_at: after(ENROLLED, r.int(0, 300) * 24 * 60),
      last_seen_at: before(data.today, r.int(0, 20), r.int(0, 600)),
    });
    return deviceId;
  });
}

function logs(data: DemoData, tenant: DemoTenant, person: Person, deviceIds: string[]): void {
  const r = data.random;
  const count = followed(person) ? 15 : r.int(4, 9);
  for (let n = 0; n < count; n++) {
    data.add('security.login_logs', {
      id: data.id(),
      tenant_id: tenant.id,
      account_id: person.accountId,
      occurred_at: loggedAt(data, n),
      method: r.pick(LOGIN_METHODS),
      result: r.pick(LOGIN_RESULTS),
      client: r.pick(CLIENTS),
      device_id: r.pick(deviceIds),
      ip_address: ipAddress(data),
    });
    const op = r.pick(OPERATIONS);
    data.add('security.operation_logs', {
      id: data.id(),
      tenant_id: tenant.id,
      account_id: person.accountId,
      occurred_at: loggedAt(data, n),
      operation: op.operation,
      target: op.target,
      result: r.pick(OPERATION_RESULTS),
      device_id: r.pick(deviceIds),
      ip_address: ipAddress(data),
    });
  }
}

export function seedSecurity(data: DemoData, tenant: DemoTenant): void {
  for (const person of tenant.people) {
    data.add('security.profiles', {
      id: data.id(),
      tenant_id: tenant.id,
      account_id: person.accountId,
      name: person.name,
      phone_number: person.mobile,
      email: person.email,
      department: person.department,
    });
    logs(data, tenant, person, devices(data, tenant, person));
  }
}
