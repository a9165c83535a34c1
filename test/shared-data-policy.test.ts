import t, { type Test } from 'tap';
import { auth, createRequest, startSystem, waitForEnd } from './helper.js';
import { ZipFile } from './zip.js';

// The tenant's shared-data policy, set over the API and applied by the worker: what alice's access
// result holds of the other people in her conversations, meetings, events and shared files.
const sys = await startSystem(t);
const { app, keys, ctx } = sys;
const sql = ctx.database.sql;
const FEATURES = ['im', 'meetings', 'calendar', 'clouddrive'];

type Row = Record<string, string | number | boolean | null>;
type Data = { features: { id: string; datasets: Record<string, Row[]> }[] };

function putPolicy(sharedData: unknown, key = keys.acme) {
  return app.inject({ method: 'PUT', url: '/v1/tenant/policy', headers: auth(key), payload: { sharedData } });
}

async function getPolicy(key = keys.acme) {
  return (await app.inject({ method: 'GET', url: '/v1/tenant/policy', headers: auth(key) })).json().sharedData;
}

async function aliceAccess() {
  const created = await createRequest(sys, { type: 'access', subject: { accountId: 'alice' }, features: FEATURES });
  const done = await waitForEnd(sys, created.id);
  const res = await app.inject({ method: 'GET', url: `/v1/requests/${done.id}/report`, headers: auth(keys.acme) });
  const zip = new ZipFile(res.rawPayload);
  return { done, data: zip.json<Data>('data.json'), html: zip.text('index.html') };
}

function datasets(data: Data, feature: string): Record<string, Row[]> {
  return data.features.find((f) => f.id === feature)!.datasets;
}

/** Redaction rows of one dataset and action, per space (the line for the whole feature apart). */
function redactions(data: Data, feature: string, dataset: string, action: string) {
  const rows = (datasets(data, feature).redactions ?? []).filter((r) => r.dataset === dataset && r.action === action);
  return { total: rows.find((r) => r.space === null), perSpace: rows.filter((r) => r.space !== null) };
}

const aliceIn = sql`select conversation_id from im.members where tenant_id = 'acme' and account_id = 'alice'`;

/** Messages by others in alice's conversations, per conversation. */
async function othersMessagesPerConversation() {
  return sql<{ space: string; n: number; people: number }[]>`
    select conversation_id::text as space, count(*)::int as n, count(distinct sender_account_id)::int as people
    from im.messages where tenant_id = 'acme' and conversation_id in (${aliceIn})
    and sender_account_id is distinct from 'alice' group by 1 order by 1`;
}

/** Every account id the acme stores name, but alice's. */
async function otherAccountIds(): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select account_id as id from im.members where tenant_id = 'acme'
    union select sender_account_id from im.messages where tenant_id = 'acme'
    union select account_id from calendar.attendees where tenant_id = 'acme'
    union select organizer_account_id from calendar.events where tenant_id = 'acme'
    union select account_id from meetings.participants where tenant_id = 'acme'
    union select host_account_id from meetings.meetings where tenant_id = 'acme'
    union select sender_account_id from meetings.chat_messages where tenant_id = 'acme'
    union select account_id from clouddrive.permissions where tenant_id = 'acme'`;
  return rows.map((r) => r.id).filter((id) => id !== null && id !== 'alice');
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

function bySpace(rows: Row[]) {
  return rows.map((r) => ({ space: r.space, n: r.count, people: r.people })).sort((a, b) => String(a.space).localeCompare(String(b.space)));
}

t.test('policy API: default, validation, per tenant', async (t) => {
  t.equal(await getPolicy(), 'own_only', 'own_only by default');
  const bad = await putPolicy('everything');
  t.equal(bad.statusCode, 400, 'an unknown policy is refused');
  t.equal((await putPolicy('pseudonymized')).json().sharedData, 'pseudonymized');
  t.equal(await getPolicy(), 'pseudonymized');
  t.equal(await getPolicy(keys.globex), 'own_only', "another tenant's policy is its own");
  t.equal((await putPolicy('own_only')).statusCode, 200);
  const unauthenticated = await app.inject({ method: 'GET', url: '/v1/tenant/policy' });
  t.equal(unauthenticated.statusCode, 401);
});

t.test('own_only: alice gets her own messages, and the result says what was left out', async (t) => {
  await putPolicy('own_only');
  const { done, data, html } = await aliceAccess();
  t.equal(done.status, 'completed');
  const [kept] = await sql`select count(*)::int as n from pseudonyms.participants where request_id = ${done.id}`;
  t.equal(kept!.n, 0, 'the pseudonym table is emptied once the result is built');
  const im = datasets(data, 'im');
  t.ok(im.messages!.length > 0);
  t.ok(im.messages!.every((m) => m.sender_account_id === 'alice'), 'no message of another sender');
  t.ok(im.memberships!.every((m) => m.account_id === 'alice'), 'no other member');

  const expected = await othersMessagesPerConversation();
  const left = redactions(data, 'im', 'messages', 'left_out');
  t.same(bySpace(left.perSpace), expected.map((e) => ({ space: e.space, n: e.n, people: e.people })), 'counts per conversation');
  const total = expected.reduce((a, e) => a + e.n, 0);
  t.equal(left.total?.count, total, 'the whole feature line adds them up');
  t.match(String(left.total?.summary), new RegExp(`^${total} messages by \\d+ other people in ${expected.length} conversations were left out$`));
  t.match(String(left.total?.reason), /Art\. 15\(4\)/);

  const [attachments] = await sql`select count(*)::int as n from im.attachments a join im.messages m on m.id = a.message_id
    where m.tenant_id = 'acme' and m.conversation_id in (${aliceIn}) and m.sender_account_id is distinct from 'alice'`;
  t.equal(redactions(data, 'im', 'attachments', 'left_out').total?.count, attachments!.n, "others' attachments listed");
  t.ok(redactions(data, 'calendar', 'attendance', 'left_out').total, 'other attendees listed as left out');
  t.notOk(datasets(data, 'im').redactions!.some((r) => r.action === 'pseudonymized'), 'nothing pseudonymized');

  t.match(html, 'Left out or pseudonymized to protect other people');
  t.match(html, String(left.total?.summary), 'the feature box says it in a sentence');
  t.match(html, /To protect other people, some of their data was left out or pseudonymized in/, 'a line in the summary');
});

t.test('pseudonymized: whole conversations, nobody else named', async (t) => {
  await putPolicy('pseudonymized');
  t.teardown(async () => {
    await putPolicy('own_only');
  });
  const { done, data, html } = await aliceAccess();
  t.equal(done.status, 'completed');
  const im = datasets(data, 'im');
  const stored = await sql<{ id: string; sender: string | null }[]>`
    select id::text, sender_account_id as sender from im.messages where tenant_id = 'acme' and conversation_id in (${aliceIn})`;
  t.equal(im.messages!.length, stored.length, 'every message of every conversation alice is in');
  t.same(im.messages!.map((m) => m.id).sort(), stored.map((m) => m.id).sort());

  // One pseudonym per person, one person per pseudonym, numbered from 2; alice stays herself.
  const real = new Map(stored.map((m) => [m.id, m.sender]));
  const pseudonymOf = new Map<string, string>();
  for (const m of im.messages!) {
    const sender = real.get(String(m.id));
    if (sender === 'alice') {
      t.equal(m.sender_account_id, 'alice', 'her own messages are labelled as hers');
      continue;
    }
    if (sender === null || sender === undefined) continue;
    t.match(String(m.sender_account_id), /^Participant \d+$/);
    const known = pseudonymOf.get(sender);
    if (known && known !== m.sender_account_id) t.fail(`two pseudonyms for one person: ${known}, ${m.sender_account_id}`);
    pseudonymOf.set(sender, String(m.sender_account_id));
  }
  t.equal(new Set(pseudonymOf.values()).size, pseudonymOf.size, 'different people, different pseudonyms');
  // Everyone pseudonymized anywhere in the result, numbered 2, 3, ... without gaps.
  const numbers = [...new Set(JSON.stringify(data).match(/Participant \d+/g) ?? [])].map((p) => Number(p.split(' ')[1])).sort((a, b) => a - b);
  t.same(numbers, numbers.map((_, i) => i + 2), 'Participant 2, 3, ... without gaps');

  await sameNamesAcrossFeatures(t, data, pseudonymOf);

  // No other account id anywhere: not in data.json, not in index.html.
  const values = strings(data);
  const page = html.replace(/<style>[\s\S]*?<\/style>/, '');
  for (const id of await otherAccountIds()) {
    const word = new RegExp(`\\b${id}\\b`);
    const found = values.find((v) => word.test(v));
    if (found !== undefined) t.fail(`data.json names ${id}`);
    if (word.test(page)) t.fail(`index.html names ${id}`);
  }
  t.match(html, 'alice (you)', 'the report labels her own messages');
  t.match(html, /Participant \d+/, 'and others by pseudonym');

  const renamed = redactions(data, 'im', 'messages', 'pseudonymized');
  t.equal(renamed.total?.people, pseudonymOf.size, 'the message senders renamed');
  t.match(String(renamed.total?.summary), /other people's names were replaced by pseudonyms in \d+ conversations/);
  t.match(String(renamed.total?.reason), /pseudonym.*Art\. 15\(4\)/);
  t.notOk(redactions(data, 'im', 'messages', 'left_out').total, 'no message left out');
  t.ok(redactions(data, 'im', 'attachments', 'left_out').total, "others' attachment bytes are still left out, and listed");
  t.ok(
    (im.attachments ?? []).every((a) => stored.some((m) => m.id === a.message_id && m.sender === 'alice')),
    'attachments only of her own messages',
  );

  const [chat] = await sql`select count(*)::int as n from meetings.chat_messages where tenant_id = 'acme' and meeting_id in
    (select id from meetings.meetings where host_account_id = 'alice' union select meeting_id from meetings.participants where account_id = 'alice')`;
  t.equal(datasets(data, 'meetings').chat!.length, chat!.n, 'whole meeting chats');
});

/** A person alice met in IM has the same pseudonym in her calendar's attendee lists. */
async function sameNamesAcrossFeatures(t: Test, data: Data, pseudonymOf: Map<string, string>) {
  const attendance = datasets(data, 'calendar').attendance!;
  let compared = 0;
  for (const [account, pseudonym] of pseudonymOf) {
    const events = await sql<{ id: string }[]>`select event_id::text as id from calendar.attendees where tenant_id = 'acme' and account_id = ${account}`;
    for (const { id } of events) {
      const named = attendance.filter((a) => a.event_id === id).map((a) => a.account_id);
      if (named.length === 0) continue; // not one of alice's events
      t.ok(named.includes(pseudonym), `same pseudonym in calendar and IM`);
      compared += 1;
    }
  }
  t.ok(compared > 0, 'some people are in both');
}
