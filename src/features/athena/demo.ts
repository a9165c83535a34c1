import { after, type DemoData } from '../../demo/data.js';
import { voice } from '../../demo/files.js';
import { followed, type DemoTenant, type Person } from '../../demo/people.js';

/** Demo Athena: dialogs with the assistant, typed or spoken; alice and bob always spoke at least once. */

const QUESTIONS = [
  { input: 'Summarize my unread messages', answer: 'You have 4 unread messages, 2 mention the release.' },
  { input: 'When is my next meeting?', answer: 'Your next meeting starts at 14:00.' },
  { input: 'Book a room for tomorrow at ten', answer: 'Room Oslo is booked for tomorrow, 10:00 to 11:00.' },
  { input: 'How many vacation days do I have left?', answer: 'You have 12 vacation days left this year.' },
  { input: 'Translate "thank you" into German', answer: 'Danke.' },
];
const START = new Date('2025-03-05T08:30:00Z');

function dialog(data: DemoData, tenant: DemoTenant, person: Person, spokenFirst: boolean): void {
  const r = data.random;
  const id = data.id();
  const startedAt = after(START, r.int(0, 30) * 24 * 60 + r.int(0, 600));
  const questions = r.sample(QUESTIONS, r.int(1, 4));
  data.add('athena.dialogs', { id, tenant_id: tenant.id, account_id: person.accountId, title: questions[0]!.input, started_at: startedAt });
  questions.forEach((q, i) => {
    const spoken = (i === 0 && spokenFirst) || r.chance(0.25);
    const seconds = r.int(4, 10) / 4;
    const stored = spoken ? data.file('athena', tenant.id, voice(seconds, r.pick([180, 210, 240]))) : null;
    data.add('athena.inputs', {
      id: data.id(),
      tenant_id: tenant.id,
      dialog_id: id,
      account_id: person.accountId,
      kind: spoken ? 'voice' : 'text',
      input_text: q.input,
      voice_key: stored?.key ?? null,
      voice_media_type: stored ? 'audio/wav' : null,
      voice_size: stored?.size ?? null,
      voice_sha256: stored?.sha256 ?? null,
      voice_duration_ms: stored ? seconds * 1000 : null,
      answer: q.answer,
      asked_at: after(startedAt, i),
    });
  });
}

export function seedAthena(data: DemoData, tenant: DemoTenant): void {
  const r = data.random;
  for (const person of tenant.people) {
    if (!followed(person) && !r.chance(0.6)) continue;
    for (let n = r.int(1, 3); n > 0; n--) dialog(data, tenant, person, followed(person) && n === 1);
  }
}
