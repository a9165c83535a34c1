import { after, type DemoData } from '../../demo/data.js';
import { document, picture, voice } from '../../demo/files.js';
import type { DemoTenant } from '../../demo/people.js';

/** Demo chats: the scripted ones the tests rely on, then random group and direct chats. */

const TEXTS = [
  'Morning! Standup in ten minutes.',
  'Can you review the pull request before lunch?',
  'The build is green again.',
  'I pushed the fixes we talked about.',
  'Who is taking notes today?',
  'Sounds good to me.',
  'Let us move this to Thursday.',
  'The customer confirmed the renewal.',
  'I will be out of office on Friday.',
  'Slides are in the shared folder.',
  'Thanks, that helps a lot.',
  'Can we get a quick call after the demo?',
  'The numbers for March look better than expected.',
  'Please update the ticket when it is done.',
  'Lunch at noon?',
  'I left some comments on the draft.',
  'Deployment is scheduled for 6 pm.',
  'Heads-up: the VPN will be down tonight.',
];
const CAPTIONS = ['Whiteboard from today', 'New mock-up', 'Look at this chart', null];
const GROUP_TITLES = [
  'Release train', 'Coffee corner', 'Sales EMEA', 'Hiring panel', 'Security champions', 'Design guild',
  'Month-end close', 'Customer escalations', 'Book club', 'Platform team', 'Town hall prep', 'Office move',
];
const DEVICES = [
  { name: 'iPhone', model: 'iPhone 15', os: 'iOS 17.4' },
  { name: 'Android phone', model: 'Pixel 8', os: 'Android 14' },
  { name: 'Android phone', model: 'Galaxy S24', os: 'Android 14' },
  { name: 'Laptop', model: 'ThinkPad X1 Carbon', os: 'Windows 11' },
  { name: 'Laptop', model: 'MacBook Air M2', os: 'macOS 14.3' },
];
const NETWORKS = ['wifi', '4g', '5g', 'ethernet'];
const KINDS = ['text', 'text', 'text', 'text', 'text', 'text', 'image', 'file', 'voice'] as const;

type Kind = (typeof KINDS)[number];

const START = new Date('2025-03-03T08:00:00Z');

class Chats {
  constructor(
    private readonly data: DemoData,
    private readonly tenant: DemoTenant,
  ) {}

  conversation(kind: 'direct' | 'group', title: string | null, members: string[], start: Date): string {
    const id = this.data.id();
    this.data.add('im.conversations', { id, tenant_id: this.tenant.id, kind, title, created_at: start });
    for (const account of members) {
      this.data.add('im.members', { id: this.data.id(), tenant_id: this.tenant.id, conversation_id: id, account_id: account, joined_at: start });
    }
    return id;
  }

  message(conversation: string, sender: string, kind: Kind, at: Date): void {
    const r = this.data.random;
    const id = this.data.id();
    const body = kind === 'text' ? r.pick(TEXTS) : kind === 'image' ? r.pick(CAPTIONS) : null;
    this.data.add('im.messages', { id, tenant_id: this.tenant.id, conversation_id: conversation, sender_account_id: sender, kind, body, sent_at: at });
    if (kind !== 'text') this.attach(id, kind);
  }

  private attach(message: string, kind: Exclude<Kind, 'text'>): void {
    const r = this.data.random;
    const seconds = r.int(2, 8) / 4;
    const file =
      kind === 'image'
        ? picture(r, `IMG_${r.int(1000, 9999)}.png`)
        : kind === 'voice'
          ? { name: 'voice-message.wav', mediaType: 'audio/wav', body: voice(seconds, r.pick([330, 440, 523])) }
          : document(r);
    const stored = this.data.file('im', this.tenant.id, file.body);
    this.data.add('im.attachments', {
      id: this.data.id(),
      tenant_id: this.tenant.id,
      message_id: message,
      file_name: file.name,
      media_type: file.mediaType,
      size: stored.size,
      sha256: stored.sha256,
      blob_key: stored.key,
      duration_ms: kind === 'voice' ? seconds * 1000 : null,
    });
  }

  /** `count` messages from random senders, a few minutes apart. */
  chatter(conversation: string, senders: string[], count: number, start: Date): void {
    const r = this.data.random;
    let at = start;
    for (let i = 0; i < count; i++) {
      at = after(at, r.int(1, 240));
      this.message(conversation, r.pick(senders), r.pick(KINDS), at);
    }
  }

  devices(account: string): void {
    const r = this.data.random;
    for (const device of r.sample(DEVICES, r.int(1, 2))) {
      this.data.add('im.devices', {
        id: this.data.id(),
        tenant_id: this.tenant.id,
        account_id: account,
        device_id: r.hex(8),
        device_name: device.name,
        device_model: device.model,
        os: device.os,
        network_type: r.pick(NETWORKS),
        mac_address: r.hex(6).match(/../g)!.join(':'),
        ip_address: `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
        last_seen_at: after(START, r.int(0, 14 * 24 * 60)),
      });
    }
  }
}

/** alice and bob share a group chat, a direct chat; alice also has chats nobody else is left in. */
function scripted(chats: Chats): void {
  const phoenix = chats.conversation('group', 'Project Phoenix', ['alice', 'bob', 'carol', 'dave', 'erin'], START);
  const kinds: Kind[] = ['text', 'image', 'file', 'voice'];
  for (const [i, kind] of kinds.entries()) chats.message(phoenix, 'alice', kind, after(START, 10 + i));
  for (const [i, kind] of kinds.entries()) chats.message(phoenix, 'bob', kind, after(START, 20 + i));
  chats.chatter(phoenix, ['alice', 'bob', 'carol', 'dave', 'erin'], 20, after(START, 30));

  const direct = chats.conversation('direct', null, ['alice', 'bob'], START);
  chats.message(direct, 'alice', 'image', after(START, 5));
  chats.message(direct, 'bob', 'voice', after(START, 6));
  chats.chatter(direct, ['alice', 'bob'], 10, after(START, 7));

  // Only alice is in these: one she keeps for herself, one the others have left.
  const notes = chats.conversation('group', 'Reading list', ['alice'], START);
  chats.message(notes, 'alice', 'text', after(START, 60));
  chats.message(notes, 'alice', 'file', after(START, 61));
  const offsite = chats.conversation('group', 'Offsite planning', ['alice'], START);
  chats.message(offsite, 'frank', 'image', after(START, 90));
  chats.chatter(offsite, ['alice', 'frank'], 4, after(START, 91));
}

export function seedIm(data: DemoData, tenant: DemoTenant): void {
  const chats = new Chats(data, tenant);
  const r = data.random;
  const accounts = tenant.people.map((p) => p.accountId);
  for (const account of accounts) chats.devices(account);
  if (accounts.includes('alice')) scripted(chats);
  const groups = Math.round(accounts.length / 2);
  for (let i = 0; i < groups; i++) {
    const members = r.sample(accounts, r.int(3, 7));
    const start = after(START, r.int(0, 3 * 24 * 60));
    chats.chatter(chats.conversation('group', GROUP_TITLES[i % GROUP_TITLES.length]!, members, start), members, r.int(6, 25), start);
  }
  const pairs = new Set(accounts.includes('alice') ? ['alice/bob'] : []);
  for (let i = 0; i < accounts.length * 0.7; i++) {
    const pair = r.sample(accounts, 2).sort();
    if (pairs.has(pair.join('/'))) continue; // one direct chat per pair
    pairs.add(pair.join('/'));
    const start = after(START, r.int(0, 3 * 24 * 60));
    chats.chatter(chats.conversation('direct', null, pair, start), pair, r.int(3, 15), start);
  }
}
