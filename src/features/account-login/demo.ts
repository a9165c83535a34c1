import { after, type DemoData } from '../../demo/data.js';
import { followed, type DemoTenant } from '../../demo/people.js';
import type { Random } from '../../demo/random.js';

/** Demo login accounts: one per person, most with a password (some sign in through SSO only), some with a Huawei ID. */

const FIRST_SIGN_UP = new Date('2023-01-09T08:00:00Z');

/** Looks like a stored scrypt hash; it is random bytes, no password hashes to it. */
function passwordHash(r: Random): string {
  return `$scrypt$ln=15,r=8,p=1$${r.hex(16)}$${r.hex(32)}`;
}

export function seedAccountLogin(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  for (const person of tenant.people) {
    const createdAt = after(FIRST_SIGN_UP, r.int(0, 400) * 24 * 60);
    const ssoOnly = !followed(person) && r.chance(0.15);
    data.add('account_login.accounts', {
      id: data.id(),
      tenant_id: tenant.id,
      account_id: person.accountId,
      mobile: person.mobile,
      email: person.email,
      password_hash: ssoOnly ? null : passwordHash(r),
      password_changed_at: ssoOnly ? null : after(createdAt, r.int(30, 500) * 24 * 60),
      created_at: createdAt,
    });
    if (followed(person) || r.chance(0.3)) {
      data.add('account_login.third_party_accounts', {
        id: data.id(),
        tenant_id: tenant.id,
        account_id: person.accountId,
        provider: 'huawei_id',
        external_id: String(r.int(1_000_000_000, 9_999_999_999)),
        linked_at: after(createdAt, r.int(1, 90) * 24 * 60),
      });
    }
  }
}
