import { after, type DemoData } from '../../demo/data.js';
import { picture, voice } from '../../demo/files.js';
import { cast, scripted, type DemoTenant, type Person } from '../../demo/people.js';

/**
 * Demo meetings: alice's and bob's scripted ones (one alice held alone), then random ones, each with
 * its participants, some chat, captions, now and then a recording, and every client's device report.
 */

const TOPICS = ['Weekly sync', 'Incident review', 'Customer onboarding', 'Roadmap walkthrough', 'Hiring debrief', 'Budget check-in'];
const CHAT = [
  'Can everyone see my screen?',
  'Link to the slides is in the calendar invite.',
  'You are on mute.',
  'I have to drop at half past, sorry.',
  'Agreed, let us take that offline.',
  'Notes are in the shared folder.',
];
const CAPTIONS = [
  'Let us start with the open action items.',
  'The release is on track for next week.',
  'We still need a decision on the vendor.',
  'I will follow up with the customer tomorrow.',
  'Any questions before we wrap up?',
  'Thanks everyone, see you next week.',
];
const CLIENTS = [
  { name: 'Laptop', model: 'ThinkPad T14', os: 'Windows 11 23H2', system: '8 cores, 16 GB RAM' },
  { name: 'Laptop', model: 'MacBook Pro 14', os: 'macOS 14.4', system: '10 cores, 32 GB RAM' },
  { name: 'Phone', model: 'Pixel 8', os: 'Android 14', system: '8 cores, 8 GB RAM' },
  { name: 'Room system', model: 'IdeaHub S2', os: 'Android 10', system: '8 cores, 4 GB RAM' },
];
const AV_DEVICES = [
  'Camera: Integrated Webcam; Microphone: Headset; Speaker: Headset',
  'Camera: FaceTime HD; Microphone: Built-in; Speaker: Built-in',
  'Camera: Front camera; Microphone: Built-in; Speaker: Earpiece',
];
const NETWORKS = ['wifi', 'ethernet', '4g', '5g'];
const NETWORK_STATUS = ['good', 'good', 'good', 'packet loss 2%', 'high latency (180 ms)'];
const PROCESSES = ['WeLink, Chrome, Outlook', 'WeLink, Excel, Slack', 'WeLink, Firefox'];
const TYPES = ['scheduled', 'scheduled', 'instant', 'webinar'] as const;

const START = new Date('2025-03-04T09:00:00Z');

interface Meeting {
  id: string;
  startsAt: Date;
}

class Meetings {
  constructor(
    private readonly data: DemoData,
    private readonly tenant: DemoTenant,
  ) {}

  meeting(host: Person, topic: string, people: Person[], startsAt: Date): Meeting {
    const r = this.data.random;
    const id = this.data.id();
    const address = r.chance(0.2) ? 'Room Lisbon' : `https://meeting.${this.tenant.domain}/j/${r.int(100_000_000, 999_999_999)}`;
    const day = startsAt.toISOString().slice(0, 10);
    this.data.add('meetings.meetings', {
      id,
      tenant_id: this.tenant.id,
      host_account_id: host.accountId,
      topic,
      meeting_type: r.pick(TYPES),
      address,
      notification: `You are invited to "${topic}" on ${day}. Join at ${address}.`,
      starts_at: startsAt,
      ends_at: after(startsAt, r.pick([30, 45, 60])),
    });
    for (const person of people) this.participant({ id, startsAt }, person);
    return { id, startsAt };
  }

  private participant(meeting: Meeting, person: Person): void {
    const r = this.data.random;
    const joinedAt = after(meeting.startsAt, r.int(0, 5));
    this.data.add('meetings.participants', {
      id: this.data.id(),
      tenant_id: this.tenant.id,
      meeting_id: meeting.id,
      account_id: person.accountId,
      name: person.name,
      mobile: person.mobile,
      email: person.email,
      department: person.department,
      employee_id: person.employeeId,
      joined_at: joinedAt,
      left_at: after(joinedAt, r.int(20, 60)),
    });
    this.report(meeting, person, joinedAt);
  }

  private report(meeting: Meeting, person: Person, at: Date): void {
    const r = this.data.random;
    const client = r.pick(CLIENTS);
    this.data.add('meetings.client_reports', {
      id: this.data.id(),
      tenant_id: this.tenant.id,
      meeting_id: meeting.id,
      account_id: person.accountId,
      device_id: r.hex(8),
      device_identifier: `SN${r.hex(5).toUpperCase()}`,
      device_name: client.name,
      device_model: client.model,
      os: client.os,
      system_info: client.system,
      running_processes: r.pick(PROCESSES),
      internet_status: r.chance(0.8) ? 'online' : 'online via proxy',
      av_devices: r.pick(AV_DEVICES),
      network_type: r.pick(NETWORKS),
      source_ip: `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
      mac_address: r.hex(6).match(/../g)!.join(':'),
      network_status: r.pick(NETWORK_STATUS),
      reported_at: at,
    });
  }

  chat(meeting: Meeting, sender: Person, kind: 'text' | 'image', minute: number): void {
    const r = this.data.random;
    const image = kind === 'image' ? this.data.file('meetings', this.tenant.id, picture(r, 'chat.png').body) : null;
    this.data.add('meetings.chat_messages', {
      id: this.data.id(),
      tenant_id: this.tenant.id,
      meeting_id: meeting.id,
      sender_account_id: sender.accountId,
      kind,
      body: kind === 'text' ? r.pick(CHAT) : null,
      image_key: image?.key ?? null,
      image_media_type: image ? 'image/png' : null,
      image_size: image?.size ?? null,
      image_sha256: image?.sha256 ?? null,
      sent_at: after(meeting.startsAt, minute),
    });
  }

  caption(meeting: Meeting, speaker: Person, minute: number): void {
    this.data.add('meetings.captions', {
      id: this.data.id(),
      tenant_id: this.tenant.id,
      meeting_id: meeting.id,
      speaker_account_id: speaker.accountId,
      text: this.data.random.pick(CAPTIONS),
      spoken_at: after(meeting.startsAt, minute),
    });
  }

  record(meeting: Meeting, by: Person): void {
    const r = this.data.random;
    const seconds = r.int(4, 8) / 4;
    const stored = this.data.file('meetings', this.tenant.id, voice(seconds, r.pick([220, 262, 294])));
    this.data.add('meetings.recordings', {
      id: this.data.id(),
      tenant_id: this.tenant.id,
      meeting_id: meeting.id,
      recorded_by_account_id: by.accountId,
      file_name: `recording-${meeting.startsAt.toISOString().slice(0, 10)}.wav`,
      media_type: 'audio/wav',
      size: stored.size,
      sha256: stored.sha256,
      blob_key: stored.key,
      duration_ms: seconds * 1000,
      started_at: after(meeting.startsAt, 1),
    });
  }
}

/** alice hosts a weekly with bob and others, and a dry run alone; bob hosts one alice joins. */
function scriptedMeetings(meetings: Meetings, tenant: DemoTenant): void {
  const [alice, bob, carol, dave, erin] = cast(tenant, ['alice', 'bob', 'carol', 'dave', 'erin']);
  const weekly = meetings.meeting(alice, 'Project Phoenix weekly', [alice, bob, carol, dave], START);
  meetings.chat(weekly, alice, 'text', 2);
  meetings.chat(weekly, alice, 'image', 3);
  meetings.chat(weekly, bob, 'text', 4);
  meetings.chat(weekly, carol, 'text', 5);
  meetings.record(weekly, alice);
  for (const [i, speaker] of [alice, bob, alice, bob, dave].entries()) meetings.caption(weekly, speaker, 2 + i);

  const dryRun = meetings.meeting(alice, 'Demo dry run', [alice], after(START, 24 * 60));
  meetings.chat(dryRun, alice, 'text', 1);
  meetings.record(dryRun, alice);
  meetings.caption(dryRun, alice, 1);

  const sync = meetings.meeting(bob, 'Pipeline sync', [bob, alice, erin], after(START, 2 * 24 * 60));
  meetings.chat(sync, bob, 'image', 2);
  meetings.chat(sync, alice, 'text', 3);
  meetings.record(sync, bob);
  meetings.caption(sync, bob, 2);
  meetings.caption(sync, alice, 3);
}

export function seedMeetings(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  const meetings = new Meetings(data, tenant);
  if (scripted(tenant)) scriptedMeetings(meetings, tenant);
  for (let i = 0; i < tenant.people.length * 0.5; i++) {
    const people = r.sample(tenant.people, r.int(2, 6));
    const meeting = meetings.meeting(people[0]!, r.pick(TOPICS), people, after(START, r.int(0, 20) * 24 * 60 + r.int(0, 16) * 30));
    for (let m = r.int(0, 4); m > 0; m--) meetings.chat(meeting, r.pick(people), r.chance(0.2) ? 'image' : 'text', r.int(1, 30));
    for (let c = r.int(0, 4); c > 0; c--) meetings.caption(meeting, r.pick(people), r.int(1, 30));
    if (r.chance(0.3)) meetings.record(meeting, people[0]!);
  }
}
