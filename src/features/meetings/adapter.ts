import { declarativeAdapter, type FeatureSpec } from '../declarative.js';
import { leftOutSummary, others, REASONS, withSharedData, type Counts } from '../shared-data.js';

/** Meetings the subject took part in. */
const attended = `select meeting_id from meetings.participants where tenant_id = :tenant and account_id = :account`;

/** Everyone a meeting `meeting` (an SQL expression) belongs to: its participants and its host. */
function peopleOf(meeting: string): string {
  return (
    `select pp.account_id from meetings.participants pp where pp.meeting_id = ${meeting} ` +
    `union all select pm.host_account_id from meetings.meetings pm where pm.id = ${meeting}`
  );
}

/** Meetings of the subject nobody else is left in: they go as a whole, with whatever others left in them. */
const aloneIn =
  `select am.id from meetings.meetings am where am.tenant_id = :tenant ` +
  `and (am.host_account_id = :account or am.id in (${attended})) ` +
  `and not exists (select 1 from (${peopleOf('am.id')}) as o(account_id) where o.account_id <> :account)`;

const meetingsSpec: FeatureSpec = {
  feature: 'meetings',
  blobDeletions: 'meetings.blob_deletions',
  datasets: [
    {
      name: 'meetings',
      title: 'Meetings',
      table: 'meetings.meetings',
      where: `meetings.host_account_id = :account or meetings.id in (${attended})`,
      columns: {
        id: null,
        host_account_id: 'account-id',
        topic: 'meeting-notification-content',
        meeting_type: 'meeting-type',
        address: 'meeting-address',
        notification: 'meeting-notification-content',
        starts_at: 'meeting-time',
        ends_at: 'meeting-time',
      },
      orderBy: 'starts_at, id',
      erase: {
        sharedWith: `select account_id from meetings.participants where meeting_id = meetings.id union all select meetings.host_account_id`,
        anonymize: ['host_account_id'],
        note: 'Kept for the {others} who took part in them; you are no longer their host or a participant.',
      },
    },
    {
      name: 'participation',
      title: 'Meeting participation',
      table: 'meetings.participants',
      where: 'participants.account_id = :account',
      columns: {
        meeting_id: null,
        account_id: 'account-id',
        name: 'name',
        mobile: 'mobile-number',
        email: 'email-address',
        department: 'department',
        employee_id: 'employee-id',
        joined_at: 'meeting-time',
        left_at: 'meeting-time',
      },
      orderBy: 'joined_at, id',
    },
    {
      name: 'chat',
      title: 'Meeting chat messages',
      table: 'meetings.chat_messages',
      where: 'chat_messages.sender_account_id = :account',
      columns: {
        meeting_id: null,
        sender_account_id: 'account-id',
        kind: 'chat-content',
        body: 'chat-content',
        image_media_type: 'chat-content',
        image_size: 'chat-content',
        image_sha256: 'chat-content',
        sent_at: 'chat-content',
      },
      orderBy: 'sent_at, id',
      file: {
        blobKey: 'image_key',
        name: `'chat-image-' || left(id::text, 8) || '.png'`,
        mediaType: 'image_media_type',
        size: 'image_size',
        sha256: 'image_sha256',
        item: 'chat-content',
      },
      erase: {
        where: `chat_messages.sender_account_id = :account or chat_messages.meeting_id in (${aloneIn})`,
        sharedWith: peopleOf('chat_messages.meeting_id'),
        anonymize: ['sender_account_id'],
        note: 'Kept for the {others} in those meetings, with your authorship removed.',
      },
    },
    {
      // A recording holds the voice and picture of everyone in the meeting, so each participant gets it.
      name: 'recordings',
      title: 'Meeting recordings',
      table: 'meetings.recordings',
      where: `recordings.recorded_by_account_id = :account or recordings.meeting_id in (${attended})`,
      columns: {
        meeting_id: null,
        recorded_by_account_id: 'account-id',
        file_name: 'audio-video-stream',
        media_type: 'audio-video-stream',
        size: 'audio-video-stream',
        sha256: 'audio-video-stream',
        duration_ms: 'audio-video-stream',
        started_at: 'meeting-time',
      },
      orderBy: 'started_at, id',
      file: { blobKey: 'blob_key', name: 'file_name', mediaType: 'media_type', size: 'size', sha256: 'sha256', item: 'audio-video-stream' },
      erase: {
        where: `recordings.recorded_by_account_id = :account or recordings.meeting_id in (${aloneIn})`,
        sharedWith: peopleOf('recordings.meeting_id'),
        anonymize: ['recorded_by_account_id'],
        note: 'Kept for the {others} who took part in those meetings; you are no longer named as who recorded them.',
      },
    },
    {
      name: 'captions',
      title: 'Meeting captions of what you said',
      table: 'meetings.captions',
      where: 'captions.speaker_account_id = :account',
      columns: { meeting_id: null, speaker_account_id: 'account-id', text: 'audio-video-stream', spoken_at: 'audio-video-stream' },
      orderBy: 'spoken_at, id',
      erase: {
        where: `captions.speaker_account_id = :account or captions.meeting_id in (${aloneIn})`,
        sharedWith: peopleOf('captions.meeting_id'),
        anonymize: ['speaker_account_id'],
        note: 'Kept for the {others} in those meetings, without your name as the speaker.',
      },
    },
    {
      name: 'client-reports',
      title: 'Device and network reports',
      table: 'meetings.client_reports',
      where: 'client_reports.account_id = :account',
      columns: {
        meeting_id: null,
        account_id: 'account-id',
        device_id: 'device-id',
        device_identifier: 'device-identifier',
        device_name: 'device-name',
        device_model: 'device-model',
        os: 'device-information',
        system_info: 'basic-system-information',
        running_processes: 'running-process-information',
        internet_status: 'internet-status-information',
        av_devices: 'av-device-information',
        network_type: 'network-information',
        source_ip: 'network-information-source',
        mac_address: 'network-information-source',
        network_status: 'network-status',
        reported_at: null,
      },
      orderBy: 'reported_at, id',
    },
  ],
};

/** Meetings the subject hosted or took part in. */
const meetingsOf = `select mm.id from meetings.meetings mm where mm.tenant_id = :tenant and (mm.host_account_id = :account or mm.id in (${attended}))`;

/** Under the pseudonymized policy: whole meeting chats, with the images only of the subject's own messages. */
const wholeChats: FeatureSpec = {
  ...meetingsSpec,
  datasets: meetingsSpec.datasets.map((d) =>
    d.name === 'chat' && d.file
      ? {
          ...d,
          where: `chat_messages.meeting_id in (${meetingsOf})`,
          file: { ...d.file, blobKey: `case when sender_account_id = :account then image_key end` },
        }
      : d,
  ),
};

/** Chat messages of others in the subject's meetings matching `condition`, as (space, person, n). */
function othersChat(condition: string): string {
  return (
    `select c.meeting_id::text as space, c.sender_account_id as person, count(*)::int as n from meetings.chat_messages c ` +
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
        `select p.meeting_id::text as space, p.account_id as person, count(*)::int as n from meetings.participants p ` +
        `where p.tenant_id = :tenant and p.meeting_id in (${meetingsOf}) and p.account_id <> :account group by 1, 2`,
      summary: ({ people, spaces }: Counts) => `${others(people)} left out of the participant lists ${spaces}`,
      reason: REASONS.profiles,
    },
  ],
});
