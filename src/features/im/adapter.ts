import { dataset, declarativeAdapter, type FeatureSpec } from '../declarative.js';
import { tableName } from '../sql-text.js';
import { leftOutSummary, REASONS, withSharedData, type Counts } from '../shared-data.js';
import { others } from '../words.js';
import { attachments, blobDeletions, conversations, devices, members, messages } from './tables.js';

/** Conversations the subject is a member of. */
const memberOf = `select conversation_id from ${tableName(members)} where tenant_id = :tenant and account_id = :account`;

/** Conversations nobody but the subject is still in: they go as a whole, with whatever others left in them. */
const aloneIn =
  `select m.conversation_id from ${tableName(members)} m where m.tenant_id = :tenant and m.account_id = :account ` +
  `and not exists (select 1 from ${tableName(members)} o where o.conversation_id = m.conversation_id and o.account_id <> :account)`;

/** Messages the erasure handles: the subject's own, and everything in conversations left to the subject alone. */
const erasedMessages = `sender_account_id = :account or conversation_id in (${aloneIn})`;

const imSpec: FeatureSpec = {
  feature: 'im',
  blobDeletions,
  datasets: [
    dataset({
      name: 'conversations',
      title: 'Conversations',
      table: conversations,
      where: `conversations.id in (${memberOf})`,
      columns: { id: 'im-content', kind: 'im-content', title: 'im-content', createdAt: 'im-content' },
      orderBy: ['createdAt', 'id'],
      erase: {
        sharedWith: `select account_id from ${tableName(members)} where conversation_id = conversations.id`,
        note: 'Kept for the {others} still in them; you are no longer a member.',
      },
    }),
    dataset({
      name: 'memberships',
      title: 'Conversation memberships',
      table: members,
      where: 'members.account_id = :account',
      columns: { conversationId: 'im-content', accountId: 'account-id', joinedAt: 'im-content' },
      orderBy: ['joinedAt', 'id'],
    }),
    dataset({
      name: 'messages',
      title: 'Messages',
      table: messages,
      where: 'messages.sender_account_id = :account',
      columns: {
        id: 'im-content',
        conversationId: 'im-content',
        senderAccountId: 'account-id',
        kind: 'im-content',
        body: 'im-content',
        sentAt: 'im-content',
      },
      orderBy: ['sentAt', 'id'],
      erase: {
        where: erasedMessages,
        sharedWith: `select account_id from ${tableName(members)} where conversation_id = messages.conversation_id`,
        anonymize: ['senderAccountId'],
        note: 'Kept for the {others} in those conversations, with your authorship removed.',
        // Shared as their conversation is: decided per conversation, not per message.
        group: 'conversationId',
      },
    }),
    dataset({
      name: 'attachments',
      title: 'Message attachments',
      table: attachments,
      where: `attachments.message_id in (select id from ${tableName(messages)} where tenant_id = :tenant and sender_account_id = :account)`,
      columns: {
        messageId: 'im-content',
        fileName: 'im-content',
        mediaType: 'im-content',
        size: 'im-content',
        sha256: 'im-content',
        durationMs: 'im-content',
      },
      orderBy: ['messageId', 'id'],
      file: { blobKey: 'blobKey', name: 'fileName', mediaType: 'mediaType', size: 'size', sha256: 'sha256', item: 'im-content' },
      erase: {
        where: `attachments.message_id in (select id from ${tableName(messages)} where tenant_id = :tenant and (${erasedMessages}))`,
        sharedWith:
          `select mb.account_id from ${tableName(messages)} m join ${tableName(members)} mb on mb.conversation_id = m.conversation_id ` +
          `where m.id = attachments.message_id`,
        note: 'Kept with your messages for the {others} in those conversations.',
      },
    }),
    dataset({
      name: 'devices',
      title: 'Devices',
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
        lastSeenAt: 'device-information',
      },
      orderBy: ['lastSeenAt', 'id'],
    }),
  ],
};

/** Under the pseudonymized policy: every member and message of the subject's conversations. */
const wholeConversations: FeatureSpec = {
  ...imSpec,
  datasets: imSpec.datasets.map((d) => {
    if (d.name === 'memberships') return { ...d, where: `members.conversation_id in (${memberOf})` };
    if (d.name === 'messages') return { ...d, where: `messages.conversation_id in (${memberOf})` };
    return d;
  }),
};

/** Messages of others in the subject's conversations, as (space, person, n). */
function othersMessages(from: string): string {
  return (
    `select m.conversation_id::text as space, m.sender_account_id as person, count(*)::int as n from ${from} ` +
    `where m.tenant_id = :tenant and m.conversation_id in (${memberOf}) and m.sender_account_id is distinct from :account group by 1, 2`
  );
}

export const imAdapter = withSharedData({
  own: declarativeAdapter(imSpec),
  whole: declarativeAdapter(wholeConversations),
  space: ['conversation', 'conversations'],
  people: [
    { dataset: 'messages', column: 'sender_account_id', space: ['conversation_id'], what: 'message senders' },
    { dataset: 'memberships', column: 'account_id', space: ['conversation_id'], what: 'members' },
  ],
  leftOut: [
    {
      dataset: 'messages',
      policies: ['own_only'],
      what: 'messages by other people',
      query: othersMessages(`${tableName(messages)} m`),
      summary: leftOutSummary('message', 'messages'),
      reason: REASONS.ownOnly,
    },
    {
      dataset: 'memberships',
      policies: ['own_only'],
      what: 'other members',
      query:
        `select mb.conversation_id::text as space, mb.account_id as person, 1 as n from ${tableName(members)} mb ` +
        `where mb.tenant_id = :tenant and mb.conversation_id in (${memberOf}) and mb.account_id <> :account`,
      summary: ({ people, spaces }: Counts) => `${others(people)} left out of the member lists ${spaces}`,
      reason: REASONS.names,
    },
    {
      // Whatever the policy, the bytes of others' files stay theirs.
      dataset: 'attachments',
      policies: ['own_only', 'pseudonymized'],
      what: "attachments of other people's messages",
      query: othersMessages(`${tableName(attachments)} a join ${tableName(messages)} m on m.id = a.message_id`),
      summary: leftOutSummary('attachment', 'attachments'),
      reason: REASONS.files,
    },
  ],
});
