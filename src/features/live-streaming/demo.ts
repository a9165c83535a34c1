import { after, type DemoData } from '../../demo/data.js';
import { voice } from '../../demo/files.js';
import { cast, scripted, type DemoTenant, type Person } from '../../demo/people.js';

/** Demo live streaming: alice's and bob's scripted broadcasts (one alice rehearsed alone), then random ones. */

const TOPICS = ['All-hands Q2', 'Product demo day', 'Security awareness training', 'New benefits explained', 'Engineering talk: observability'];
const START = new Date('2025-03-10T14:00:00Z');

interface Broadcast {
  id: string;
  startsAt: Date;
}

class Broadcasts {
  constructor(
    private readonly data: DemoData,
    private readonly tenant: DemoTenant,
  ) {}

  broadcast(publisher: Person, speaker: Person, topic: string, startsAt: Date, viewers: Person[]): Broadcast {
    const r = this.data.random;
    const id = this.data.id();
    this.data.add('live_streaming.broadcasts', {
      id,
      tenant_id: this.tenant.id,
      publisher_account_id: publisher.accountId,
      speaker_account_id: speaker.accountId,
      topic,
      starts_at: startsAt,
      ends_at: after(startsAt, r.pick([30, 45, 60])),
      status: 'ended',
    });
    for (const viewer of viewers) {
      const joinedAt = after(startsAt, r.int(0, 10));
      this.data.add('live_streaming.viewers', {
        id: this.data.id(),
        tenant_id: this.tenant.id,
        broadcast_id: id,
        account_id: viewer.accountId,
        name: viewer.name,
        department: viewer.department,
        joined_at: joinedAt,
        left_at: after(joinedAt, r.int(5, 40)),
      });
    }
    return { id, startsAt };
  }

  record(broadcast: Broadcast): void {
    const r = this.data.random;
    const seconds = r.int(4, 8) / 4;
    const stored = this.data.file('live-streaming', this.tenant.id, voice(seconds, r.pick([196, 247, 330])));
    this.data.add('live_streaming.recordings', {
      id: this.data.id(),
      tenant_id: this.tenant.id,
      broadcast_id: broadcast.id,
      file_name: `broadcast-${broadcast.startsAt.toISOString().slice(0, 10)}.wav`,
      media_type: 'audio/wav',
      size: stored.size,
      sha256: stored.sha256,
      blob_key: stored.key,
      duration_ms: seconds * 1000,
    });
  }
}

/** alice presents a launch to the team and rehearses alone; bob publishes a kickoff alice speaks at, and a town hall she watches. */
function scriptedBroadcasts(broadcasts: Broadcasts, tenant: DemoTenant): void {
  const [alice, bob, carol, dave, erin, frank] = cast(tenant, ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']);
  broadcasts.record(broadcasts.broadcast(alice, alice, 'Project Phoenix launch', START, [bob, carol, dave, erin]));
  broadcasts.record(broadcasts.broadcast(alice, alice, 'Launch rehearsal', after(START, -24 * 60), []));
  broadcasts.record(broadcasts.broadcast(bob, alice, 'Sales kickoff', after(START, 3 * 24 * 60), [carol, frank]));
  broadcasts.broadcast(bob, bob, 'Sales town hall', after(START, 5 * 24 * 60), [alice, erin]);
}

export function seedLiveStreaming(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  const broadcasts = new Broadcasts(data, tenant);
  if (scripted(tenant)) scriptedBroadcasts(broadcasts, tenant);
  for (let i = 0; i < tenant.people.length / 4; i++) {
    const [publisher, ...viewers] = r.sample(tenant.people, r.int(3, 9));
    const speaker = r.chance(0.7) ? publisher! : r.pick(viewers);
    const broadcast = broadcasts.broadcast(publisher!, speaker, r.pick(TOPICS), after(START, r.int(0, 30) * 24 * 60), viewers);
    if (r.chance(0.5)) broadcasts.record(broadcast);
  }
}
