import { dataset, declarativeAdapter } from '../declarative.js';
import { tableName } from '../sql-text.js';
import { blobDeletions, broadcasts, recordings, viewers } from './tables.js';

/** Broadcasts the subject published or spoke in. */
const ownBroadcasts =
  `select id from ${tableName(broadcasts)} where tenant_id = :tenant ` +
  `and (publisher_account_id = :account or speaker_account_id = :account)`;

const watched = `select broadcast_id from ${tableName(viewers)} where tenant_id = :tenant and account_id = :account`;

/** Everyone a broadcast `broadcast` (an SQL expression) belongs to: its publisher, speaker and viewers. */
function peopleOf(broadcast: string): string {
  return (
    `select pv.account_id from ${tableName(viewers)} pv where pv.broadcast_id = ${broadcast} ` +
    `union all select pb.publisher_account_id from ${tableName(broadcasts)} pb where pb.id = ${broadcast} ` +
    `union all select ps.speaker_account_id from ${tableName(broadcasts)} ps where ps.id = ${broadcast}`
  );
}

/** Broadcasts of the subject nobody else is left in. */
const aloneIn =
  `select ab.id from ${tableName(broadcasts)} ab where ab.tenant_id = :tenant and (ab.id in (${ownBroadcasts}) or ab.id in (${watched})) ` +
  `and not exists (select 1 from (${peopleOf('ab.id')}) as o(account_id) where o.account_id <> :account)`;

const broadcastInformation = 'live-broadcast-information';

export const liveStreamingAdapter = declarativeAdapter({
  feature: 'live-streaming',
  blobDeletions,
  datasets: [
    dataset({
      name: 'broadcasts',
      title: 'Live broadcasts',
      table: broadcasts,
      where:
        `broadcasts.publisher_account_id = :account or broadcasts.speaker_account_id = :account ` +
        `or broadcasts.id in (${watched})`,
      columns: {
        id: null,
        publisherAccountId: broadcastInformation,
        speakerAccountId: broadcastInformation,
        topic: broadcastInformation,
        startsAt: broadcastInformation,
        endsAt: broadcastInformation,
        status: broadcastInformation,
      },
      orderBy: ['startsAt', 'id'],
      erase: {
        sharedWith:
          `select account_id from ${tableName(viewers)} where broadcast_id = broadcasts.id ` +
          `union all select broadcasts.publisher_account_id union all select broadcasts.speaker_account_id`,
        anonymize: ['publisherAccountId', 'speakerAccountId'],
        note: 'Kept for the {others} who published, presented or watched them; you are no longer named in them.',
      },
    }),
    dataset({
      name: 'viewing',
      title: 'Broadcasts you watched',
      table: viewers,
      where: 'viewers.account_id = :account',
      columns: { broadcastId: null, accountId: 'account-id', name: 'name', department: 'department', joinedAt: null, leftAt: null },
      orderBy: ['joinedAt', 'id'],
    }),
    dataset({
      name: 'recordings',
      title: 'Recordings of your broadcasts',
      table: recordings,
      where: `recordings.broadcast_id in (${ownBroadcasts})`,
      columns: {
        broadcastId: null,
        fileName: 'audio-video-stream',
        mediaType: 'audio-video-stream',
        size: 'audio-video-stream',
        sha256: 'audio-video-stream',
        durationMs: 'audio-video-stream',
      },
      orderBy: ['broadcastId', 'id'],
      file: { blobKey: 'blobKey', name: 'fileName', mediaType: 'mediaType', size: 'size', sha256: 'sha256', item: 'audio-video-stream' },
      erase: {
        where: `recordings.broadcast_id in (${ownBroadcasts}) or recordings.broadcast_id in (${aloneIn})`,
        sharedWith: peopleOf('recordings.broadcast_id'),
        note: 'Kept for the {others} who published, presented or watched those broadcasts.',
      },
    }),
  ],
});
