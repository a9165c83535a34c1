import { after, type DemoData } from '../../demo/data.js';
import { followed, type DemoTenant } from '../../demo/people.js';

/** Demo WeCode: the applets people authorized with their account id and name, and when they opened them. */

const APPLETS = ['Expense scanner', 'Room booking', 'Canteen menu', 'IT helpdesk', 'Visitor registration'];
const START = new Date('2025-03-03T08:00:00Z');

export function seedWecode(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  for (const person of tenant.people) {
    if (!followed(person) && !r.chance(0.7)) continue;
    const applets = r.sample(APPLETS, r.int(1, 3));
    for (const applet of applets) {
      const grantedAt = after(START, r.int(0, 10) * 24 * 60);
      data.add('wecode.authorizations', {
        id: data.id(),
        tenant_id: tenant.id,
        account_id: person.accountId,
        name: person.name,
        applet,
        scopes: 'account_id name',
        granted_at: grantedAt,
      });
      for (let n = r.int(1, 4); n > 0; n--) {
        data.add('wecode.usage', {
          id: data.id(),
          tenant_id: tenant.id,
          account_id: person.accountId,
          applet,
          opened_at: after(grantedAt, r.int(1, 30 * 24 * 60)),
          duration_seconds: r.int(5, 600),
        });
      }
    }
  }
}
