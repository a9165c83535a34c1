import { KEYWORDS_KEPT } from './adapter.js';
import { after, type DemoData } from '../../demo/data.js';
import { followed, type DemoTenant } from '../../demo/people.js';

/**
 * Demo search: everyone's directory entry, and recent keywords. The service stores only the latest
 * KEYWORDS_KEPT per person, so nobody has more; alice and bob have exactly that many.
 */

const KEYWORDS = [
  'quarterly report', 'travel policy', 'vpn setup', 'expense form', 'phoenix', 'holiday calendar', 'org chart',
  'guest wifi', 'parking', 'onboarding', 'sales deck', 'release notes', 'printer', 'pension plan', 'canteen',
  'security training', 'roadmap', 'contract template', 'budget 2025', 'team photo', 'room booking', 'invoice',
];
const SCOPES = ['all', 'messages', 'contacts', 'documents', 'applets'];
const START = new Date('2025-03-03T08:00:00Z');

export function seedSearch(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  for (const person of tenant.people) {
    data.add('search.people', {
      id: data.id(),
      tenant_id: tenant.id,
      account_id: person.accountId,
      name: person.name,
      email: person.email,
      mobile: person.mobile.replaceAll(' ', ''),
      department: person.department,
    });
    let at = after(START, r.int(0, 600));
    for (let n = followed(person) ? KEYWORDS_KEPT : r.int(0, KEYWORDS_KEPT); n > 0; n--) {
      at = after(at, r.int(5, 24 * 60));
      data.add('search.keywords', {
        id: data.id(),
        tenant_id: tenant.id,
        account_id: person.accountId,
        keyword: r.pick(KEYWORDS),
        scope: r.pick(SCOPES),
        searched_at: at,
      });
    }
  }
}
