import { after, loggedAt, type DemoData } from '../../demo/data.js';
import { followed, type DemoTenant, type Person } from '../../demo/people.js';

/**
 * Demo management console: alice (owner) and bob administer acme, an auditor looks on; elsewhere the
 * first two people administer. Each administrator has months of operation logs.
 */

const OPERATIONS = [
  { operation: 'user.create', target: 'department Sales' },
  { operation: 'user.disable', target: 'department Operations' },
  { operation: 'applet.enable', target: 'Room booking' },
  { operation: 'meeting_room.add', target: 'Room Oslo' },
  { operation: 'security_policy.update', target: 'password policy' },
  { operation: 'license.assign', target: 'license pool' },
  { operation: 'watermark.enable', target: 'all documents' },
];
const CREATED = new Date('2023-03-01T09:00:00Z');

function administrators(tenant: DemoTenant): [Person, 'owner' | 'administrator' | 'auditor'][] {
  const named = tenant.people.filter(followed);
  const [owner, admin] = named.length > 0 ? named : tenant.people;
  const auditor = tenant.people.find((p) => p.department === 'Legal');
  return [[owner!, 'owner'], [admin!, 'administrator'], ...(auditor ? [[auditor, 'auditor'] as [Person, 'auditor']] : [])];
}

export function seedConsole(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  for (const [person, role] of administrators(tenant)) {
    data.add('console.administrators', {
      id: data.id(),
      tenant_id: tenant.id,
      account_id: person.accountId,
      name: person.name,
      email: person.email,
      huawei_cloud_account: `${tenant.id}-cloud/${person.accountId}`,
      role,
      created_at: after(CREATED, r.int(0, 200) * 24 * 60),
    });
    for (let n = 0; n < (role === 'auditor' ? 4 : 12); n++) {
      const op = r.pick(OPERATIONS);
      data.add('console.operation_logs', {
        id: data.id(),
        tenant_id: tenant.id,
        account_id: person.accountId,
        occurred_at: loggedAt(data, n),
        operation: op.operation,
        target: op.target,
        result: r.chance(0.9) ? 'success' : 'failed',
        ip_address: `192.168.${r.int(0, 20)}.${r.int(1, 254)}`,
      });
    }
  }
}
