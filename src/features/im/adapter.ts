import { declarativeAdapter } from '../declarative.js';

/** Conversations the subject is a member of. */
const memberOf = `select conversation_id from im.members where tenant_id = :tenant and account_id = :account`;

/** Conversations nobody but the subject is still in: they go as a whole, with whatever others left in them. */
const aloneIn =
  `select m.conversation_id from im.members m where m.tenant_id = :tenant and m.account_id = :account ` +
  `and not exists (select 1 from im.members o where o.conversation_id = m.conversation_id and o.account_id <> :account)`;

/** Messages the erasure handles: the subject's own, and everything in conversations left to the subject alone. */
const erasedMessages = `sender_account_id = :account or conversation_id in (${aloneIn})`;

export const imAdapter = declarativeAdapter({
  feature: 'im',
  blobDeletions: 'im.blob_deletions',
  datasets: [
    {
      name: 'conversations',
      title: 'Conversations',
      table: 'im.conversations',
      where: `conversations.id in (${memberOf})`,
      columns: { id: 'im-content', kind: 'im-content', title: 'im-content', created_at: 'im-content' },
      orderBy: 'created_at, id',
      erase: {
        sharedWith: `select account_id from im.members where conversation_id = conversations.id`,
        note: 'Kept for the {others} still in them; you are no longer a member.',
      },
    },
    {
      name: 'memberships',
      title: 'Conversation memberships',
      table: 'im.members',
      where: 'members.account_id = :account',
      columns: { conversation_id: 'im-content', account_id: 'account-id', joined_at: 'im-content' },
      orderBy: 'joined_at, id',
    },
    {
      name: 'messages',
      title: 'Messages',
      table: 'im.messages',
      where: 'messages.sender_account_id = :account',
      columns: {
        id: 'im-content',
        conversation_id: 'im-content',
        sender_account_id: 'account-id',
        kind: 'im-content',
        body: 'im-content',
        sent_at: 'im-content',
      },
      orderBy: 'sent_at, id',
      erase: {
        where: erasedMessages,
        sharedWith: `select account_id from im.members where conversation_id = messages.conversation_id`,
        anonymize: ['sender_account_id'],
        note: 'Kept for the {others} in those conversations, with your authorship removed.',
      },
    },
    {
      name: 'attachments',
      title: 'Message attachments',
      table: 'im.attachments',
      where: `attachments.message_id in (select id from im.messages where tenant_id = :tenant and sender_account_id = :account)`,
      columns: {
        message_id: 'im-content',
        file_name: 'im-content',
        media_type: 'im-content',
        size: 'im-content',
        sha256: 'im-content',
        duration_ms: 'im-content',
      },
      orderBy: 'message_id, id',
      file: { blobKey: 'blob_key', name: 'file_name', mediaType: 'media_type', size: 'size', sha256: 'sha256', item: 'im-content' },
      erase: {
        where: `attachments.message_id in (select id from im.messages where tenant_id = :tenant and (${erasedMessages}))`,
        sharedWith:
          `select mb.account_id from im.messages m join im.members mb on mb.conversation_id = m.conversation_id ` +
          `where m.id = attachments.message_id`,
        note: 'Kept with your messages for the {others} in those conversations.',
      },
    },
    {
      name: 'devices',
      title: 'Devices',
      table: 'im.devices',
      where: 'devices.account_id = :account',
      columns: {
        account_id: 'account-id',
        device_id: 'device-id',
        device_name: 'device-information',
        device_model: 'device-information',
        os: 'device-information',
        network_type: 'network-information',
        mac_address: 'network-information',
        ip_address: 'network-information',
        last_seen_at: 'device-information',
      },
      orderBy: 'last_seen_at, id',
    },
  ],
});
