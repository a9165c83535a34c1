import { after, type DemoData } from '../../demo/data.js';
import { followed, type DemoTenant } from '../../demo/people.js';

/** Demo email client: the work mail account most people added, with the state of its folders. */

const FOLDERS = ['Inbox', 'Sent', 'Drafts', 'Archive'];
const ADDED = new Date('2024-06-03T09:00:00Z');

export function seedEmail(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  for (const person of tenant.people) {
    if (!followed(person) && !r.chance(0.6)) continue;
    const id = data.id();
    const addedAt = after(ADDED, r.int(0, 200) * 24 * 60);
    data.add('email.accounts', {
      id,
      tenant_id: tenant.id,
      account_id: person.accountId,
      email_address: person.email,
      incoming_server: `imap.${tenant.domain}`,
      outgoing_server: `smtp.${tenant.domain}`,
      added_at: addedAt,
    });
    for (const folder of FOLDERS) {
      const messages = folder === 'Drafts' ? r.int(0, 5) : r.int(20, 2000);
      data.add('email.mailboxes', {
        id: data.id(),
        tenant_id: tenant.id,
        email_account_id: id,
        folder,
        message_count: messages,
        unread_count: folder === 'Inbox' ? r.int(0, Math.min(messages, 40)) : 0,
        last_synced_at: after(addedAt, r.int(1, 300) * 24 * 60),
      });
    }
  }
}
