import { after, type DemoData } from '../../demo/data.js';
import type { DemoTenant } from '../../demo/people.js';

/** Demo calendar: alice's and bob's scripted events, then random meetings. */

const MEETINGS = [
  { title: 'Sprint planning', content: 'Pick the stories for the next two weeks.' },
  { title: 'Pipeline review', content: 'Go through open deals and next steps.' },
  { title: 'Design review', content: 'Walk through the new onboarding screens.' },
  { title: 'Retrospective', content: 'What went well, what to change.' },
  { title: '1:1', content: 'Regular check-in.' },
  { title: 'Budget sync', content: 'Forecast for the next quarter.' },
  { title: 'Customer call', content: 'Quarterly business review with the customer.' },
  { title: 'Lunch and learn', content: 'Short talk, pizza provided.' },
];
const ROOMS = ['Room Amsterdam', 'Room Lisbon', 'Room Oslo', 'Video call', 'Cafeteria', null];
const RESPONSES = ['accepted', 'accepted', 'tentative', 'declined', 'pending'] as const;

const START = new Date('2025-03-03T09:00:00Z');

type Response = (typeof RESPONSES)[number];

function event(
  data: DemoData,
  tenant: DemoTenant,
  organizer: string,
  meeting: { title: string; content: string },
  startsAt: Date,
  attendees: [string, Response][],
): void {
  const id = data.id();
  data.add('calendar.events', {
    id,
    tenant_id: tenant.id,
    organizer_account_id: organizer,
    title: meeting.title,
    content: meeting.content,
    starts_at: startsAt,
    ends_at: after(startsAt, data.random.pick([30, 45, 60, 90])),
    location: data.random.pick(ROOMS),
  });
  for (const [account, response] of attendees) {
    data.add('calendar.attendees', { id: data.id(), tenant_id: tenant.id, event_id: id, account_id: account, response });
  }
}

function scripted(data: DemoData, tenant: DemoTenant): void {
  const kickoff = { title: 'Project Phoenix kickoff', content: 'Goals, scope and first milestones.' };
  event(data, tenant, 'alice', kickoff, after(START, 60), [
    ['alice', 'accepted'],
    ['bob', 'accepted'],
    ['carol', 'tentative'],
  ]);
  event(data, tenant, 'alice', { title: 'Focus time', content: 'No meetings, please.' }, after(START, 24 * 60), [['alice', 'accepted']]);
  event(data, tenant, 'bob', { title: 'Quarterly pipeline review', content: 'Go through open deals.' }, after(START, 48 * 60), [
    ['bob', 'accepted'],
    ['alice', 'declined'],
    ['dave', 'accepted'],
  ]);
}

export function seedCalendar(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  const accounts = tenant.people.map((p) => p.accountId);
  if (accounts.includes('alice')) scripted(data, tenant);
  for (let i = 0; i < accounts.length * 1.2; i++) {
    const [organizer, ...guests] = r.sample(accounts, r.int(2, 7));
    const startsAt = after(START, r.int(0, 9) * 24 * 60 + r.int(0, 16) * 30);
    const attendees: [string, Response][] = [[organizer!, 'accepted'], ...guests.map((g): [string, Response] => [g, r.pick(RESPONSES)])];
    event(data, tenant, organizer!, r.pick(MEETINGS), startsAt, attendees);
  }
}
