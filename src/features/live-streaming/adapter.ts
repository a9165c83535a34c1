import { declarativeAdapter } from '../declarative.js';

/** Broadcasts the subject published or spoke in. */
const ownBroadcasts =
  `select id from live_streaming.broadcasts where tenant_id = :tenant ` +
  `and (publisher_account_id = :account or speaker_account_id = :account)`;

const watched = `select broadcast_id from live_streaming.viewers where tenant_id = :tenant and account_id = :account`;

/** Everyone a broadcast `broadcast` (an SQL expression) belongs to: its publisher, speaker and viewers. */
function peopleOf(broadcast: string): string {
  return (
    `select pv.account_id from live_streaming.viewers pv where pv.broadcast_id = ${broadcast} ` +
    `union all select pb.publisher_account_id from live_streaming.broadcasts pb where pb.id = ${broadcast} ` +
    `union all select ps.speaker_account_id from live_streaming.broadcasts ps where ps.id = ${broadcast}`
  );
}

/** Broadcasts of the subject nobody else is left in. */
const aloneIn =
  `select ab.id from live_streaming.broadcasts ab where ab.tenant_id = :tenant and (ab.id in (${ownBroadcasts}) or ab.id in (${watched})) ` +
  `and not exists (select 1 from (${peopleOf('ab.id')}) as o(account_id) where o.account_id <> :account)`;

const broadcastInformation = 'live-broadcast-information';

export const liveStreamingAdapter = declarativeAdapter({
  feature: 'live-streaming',
  blobDeletions: 'live_streaming.blob_deletions',
  datasets: [
    {
      name: 'broadcasts',
      title: 'Live broadcasts',
      table: 'live_streaming.broadcasts',
      where:
        `broadcasts.publisher_account_id = :account or broadcasts.speaker_account_id = :account ` +
        `or broadcasts.id in (${watched})`,
      columns: {
        id: null,
        publisher_account_id: broadcastInformation,
        speaker_account_id: broadcastInformation,
        topic: broadcastInformation,
        starts_at: broadcastInformation,
        ends_at: broadcastInformation,
        status: broadcastInformation,
      },
      orderBy: 'starts_at, id',
      erase: {
        sharedWith:
          `select account_id from live_streaming.viewers where broadcast_id = broadcasts.id ` +
          `union all select broadcasts.publisher_account_id union all select broadcasts.speaker_account_id`,
        anonymize: ['publisher_account_id', 'speaker_account_id'],
        note: 'Kept for the {others} who published, presented or watched them; you are no longer named in them.',
      },
    },
    {
      name: 'viewing',
      title: 'Broadcasts you watched',
      table: 'live_streaming.viewers',
      where: 'viewers.account_id = :account',
      columns: { broadcast_id: null, account_id: 'account-id', name: 'name', department: 'department', joined_at: null, left_at: null },
      orderBy: 'joined_at, id',
    },
    {
      name: 'recordings',
      title: 'Recordings of your broadcasts',
      table: 'live_streaming.recordings',
      where: `recordings.broadcast_id in (${ownBroadcasts})`,
      columns: {
        broadcast_id: null,
        file_name: 'audio-video-stream',
        media_type: 'audio-video-stream',
        size: 'audio-video-stream',
        sha256: 'audio-video-stream',
        duration_ms: 'audio-video-stream',
      },
      orderBy: 'broadcast_id, id',
      file: { blobKey: 'blob_key', name: 'file_name', mediaType: 'media_type', size: 'size', sha256: 'sha256', item: 'audio-video-stream' },
      erase: {
        where: `recordings.broadcast_id in (${ownBroadcasts}) or recordings.broadcast_id in (${aloneIn})`,
        sharedWith: peopleOf('recordings.broadcast_id'),
        note: 'Kept for the {others} who published, presented or watched those broadcasts.',
      },
    },
  ],
});
