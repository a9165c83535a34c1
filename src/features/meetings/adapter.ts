import { dataset, declarativeAdapter, expression, type FeatureSpec } from '../declarative.js';
import { tableName } from '../sql-text.js';
import { leftOutSummary, REASONS, withSharedData, type Counts } from '../shared-data.js';
import { others } from '../words.js';
import { blobDeletions, captions, chatMessages, clientReports, meetings, participants, recordings } from './tables.js';

/** Meetings the subject took part in. */
const attended = `select meeting_id from ${tableName(participants)} where tenant_id = :tenant and account_id = :account`;

/** Everyone a meeting `meeting` (an SQL expression) belongs to: its participants and its host. */
function peopleOf(meeting: string): string {
  return (
    `select pp.account_id from ${tableName(participants)} pp where pp.meeting_id = ${meeting} ` +
    `union all select pm.host_account_id from ${tableName(meetings)} pm where pm.id = ${meeting}`
  );
}

/** Meetings of the subject nobody else is left in: they go as a whole, with whatever others left in them. */
const aloneIn =
  `select am.id from ${tableName(meetings)} am where am.tenant_id = :tenant ` +
  `and (am.host_account_id = :account or am.id in (${attended})) ` +
  `and not exists (select 1 from (${peopleOf('am.id')}) as o(account_id) where o.account_id <> :account)`;

const meetingsSpec: FeatureSpec = {
  feature: 'meetings',
  blobDeletions,
  datasets: [
    dataset({
      name: 'meetings',
      title: 'Meetings',
      table: meetings,
      where: `meetings.host_account_id = :account or meetings.id in (${attended})`,
      columns: {
        id: null,
        hostAccountId: 'account-id',
        topic: 'meeting-notification-content',
        meetingType: 'meeting-type',
        address: 'meeting-address',
        notification: 'meeting-notification-content',
        startsAt: 'meeting-time',
        endsAt: 'meeting-time',
      },
      orderBy: ['startsAt', 'id'],
      erase: {
        sharedWith: `select account_id from ${tableName(participants)} where meeting_id = meetings.id union all select meetings.host_account_id`,
        anonymize: ['hostAccountId'],
        note: 'Kept for the {others} who took part in them; you are no longer their host or a participant.',
      },
    }),
    dataset({
      name: 'participation',
      title: 'Meeting participation',
      table: participants,
      where: 'participants.account_id = :account',
      columns: {
        meetingId: null,
        accountId: 'account-id',
        name: 'name',
        mobile: 'mobile-number',
        email: 'email-address',
        department: 'department',
        employeeId: 'employee-id',
        joinedAt: 'meeting-time',
        leftAt: 'meeting-time',
      },
      orderBy: ['joinedAt', 'id'],
    }),
    dataset({
      name: 'chat',
      title: 'Meeting chat messages',
      table: chatMessages,
      where: 'chat_messages.sender_account_id = :account',
      columns: {
        meetingId: null,
        senderAccountId: 'account-id',
        kind: 'chat-content',
        body: 'chat-content',
        imageMediaType: 'chat-content',
        imageSize: 'chat-content',
        imageSha256: 'chat-content',
        sentAt: 'chat-content',
      },
      orderBy: ['sentAt', 'id'],
      file: {
        blobKey: 'imageKey',
        name: expression(`'chat-image-' || left(id::text, 8) || '.png'`),
        mediaType: 'imageMediaType',
        size: 'imageSize',
        sha256: 'imageSha256',
        item: 'chat-content',
      },
      erase: {
        where: `chat_messages.sender_account_id = :account or chat_messages.meeting_id in (${aloneIn})`,
        sharedWith: peopleOf('chat_messages.meeting_id'),
        anonymize: ['senderAccountId'],
        note: 'Kept for the {others} in those meetings, with your authorship removed.',
      },
    }),
    dataset({
      // A recording holds the voice and picture of everyone in the meeting, so each participant gets it.
      name: 'recordings',
      title: 'Meeting recordings',
      table: recordings,
      where: `recordings.recorded_by_account_id = :account or recordings.meeting_id in (${attended})`,
      columns: {
        meetingId: null,
        recordedByAccountId: 'account-id',
        fileName: 'audio-video-stream',
        mediaType: 'audio-video-stream',
        size: 'audio-video-stream',
        sha256: 'audio-video-stream',
        durationMs: 'audio-video-stream',
        startedAt: 'meeting-time',
      },
      orderBy: ['startedAt', 'id'],
      file: { blobKey: 'blobKey', name: 'fileName', mediaType: 'mediaType', size: 'size', sha256: 'sha256', item: 'audio-video-stream' },
      erase: {
        // Every recording the subject is in, not only those they made: each is the subject's data too.
        where:
          `recordings.recorded_by_account_id = :account or recordings.meeting_id in (${attended}) ` +
          `or recordings.meeting_id in (${aloneIn})`,
        sharedWith: peopleOf('recordings.meeting_id'),
        anonymize: ['recordedByAccountId'],
        note:
          'Kept for the {others} who took part in those meetings: a recording shows everyone in it. ' +
          'You are no longer listed as a participant, nor named as who recorded them.',
      },
    }),
    dataset({
      name: 'captions',
      title: 'Meeting captions of what you said',
      table: captions,
      where: 'captions.speaker_account_id = :account',
      columns: { meetingId: null, speakerAccountId: 'account-id', text: 'audio-video-stream', spokenAt: 'audio-video-stream' },
      orderBy: ['spokenAt', 'id'],
      erase: {
        where: `captions.speaker_account_id = :account or captions.meeting_id in (${aloneIn})`,
        sharedWith: peopleOf('captions.meeting_id'),
        anonymize: ['speakerAccountId'],
        note: 'Kept for the {others} in those meetings, without your name as the speaker.',
      },
    }),
    dataset({
      name: 'client-reports',
      title: 'Device and network reports',
      table: clientReports,
      where: 'client_reports.account_id = :account',
      columns: {
        meetingId: null,
        accountId: 'account-id',
        deviceId: 'device-id',
        deviceIdentifier: 'device-identifier',
        deviceName: 'device-name',
        deviceModel: 'device-model',
        os: 'device-information',
        systemInfo: 'basic-system-information',
        runningProcesses: 'running-process-information',
        internetStatus: 'internet-status-information',
        avDevices: 'av-device-information',
        networkType: 'network-information',
        sourceIp: 'network-information-source',
        macAddress: 'network-information-source',
        networkStatus: 'network-status',
        reportedAt: null,
      },
      orderBy: ['reportedAt', 'id'],
    }),
  ],
};

/** Meetings the subject hosted or took part in. */
const meetingsOf = `select mm.id from ${tableName(meetings)} mm where mm.tenant_id = :tenant and (mm.host_account_id = :account or mm.id in (${attended}))`;

/** Under the pseudonymized policy: whole meeting chats, with the images only of the subject's own messages. */
const wholeChats: FeatureSpec = {
  ...meetingsSpec,
  datasets: meetingsSpec.datasets.map((d) =>
    d.name === 'chat' && d.file
      ? {
          ...d,
          where: `chat_messages.meeting_id in (${meetingsOf})`,
          file: { ...d.file, blobKey: expression(`case when sender_account_id = :account then image_key end`) },
        }
      : d,
  ),
};

/** Chat messages of others in the subject's meetings matching `condition`, as (space, person, n). */
function othersChat(condition: string): string {
  return (
    `select c.meeting_id::text as space, c.sender_account_id as person, count(*)::int as n from ${tableName(chatMessages)} c ` +
    `where c.tenant_id = :tenant and c.meeting_id in (${meetingsOf}) and c.sender_account_id is distinct from :account ` +
    `and ${condition} group by 1, 2`
  );
}

export const meetingsAdapter = withSharedData({
  own: declarativeAdapter(meetingsSpec),
  whole: declarativeAdapter(wholeChats),
  space: ['meeting', 'meetings'],
  people: [
    { dataset: 'meetings', column: 'host_account_id', space: ['id'], what: 'hosts' },
    { dataset: 'chat', column: 'sender_account_id', space: ['meeting_id'], what: 'chat message senders' },
    { dataset: 'recordings', column: 'recorded_by_account_id', space: ['meeting_id'], what: 'who recorded' },
  ],
  leftOut: [
    {
      dataset: 'chat',
      policies: ['own_only'],
      what: 'chat messages by other people',
      query: othersChat('true'),
      summary: leftOutSummary('chat message', 'chat messages'),
      reason: REASONS.ownOnly,
    },
    {
      dataset: 'chat',
      policies: ['pseudonymized'],
      what: "images of other people's chat messages",
      query: othersChat('c.image_key is not null'),
      summary: leftOutSummary('image', 'images'),
      reason: REASONS.files,
    },
    {
      dataset: 'participation',
      policies: ['own_only', 'pseudonymized'],
      what: 'other participants',
      query:
        `select p.meeting_id::text as space, p.account_id as person, count(*)::int as n from ${tableName(participants)} p ` +
        `where p.tenant_id = :tenant and p.meeting_id in (${meetingsOf}) and p.account_id <> :account group by 1, 2`,
      summary: ({ people, spaces }: Counts) => `${others(people)} left out of the participant lists ${spaces}`,
      reason: REASONS.profiles,
    },
  ],
});
