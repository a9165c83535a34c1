import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalBlobStore } from '../src/blobs/blob-store.js';
import { connect } from '../src/db/client.js';
import { seedDemo } from '../src/demo/seed.js';
import { resolveSubject } from '../src/identity/resolve-subject.js';
import { createTestDatabase } from './helper.js';

// Who a request is about, from an account id, an email address or a mobile number, against the demo data.

const db = connect(await createTestDatabase(t));
const sql = db.sql;
const blobDir = await mkdtemp(path.join(os.tmpdir(), 'dsar-identity-'));
t.teardown(async () => {
  await db.close();
  await rm(blobDir, { recursive: true, force: true });
});
await seedDemo(sql, new LocalBlobStore(blobDir));

t.test('by account id: taken as given, even without data', async (t) => {
  t.same(await resolveSubject(sql, 'acme', { accountId: 'alice' }), { kind: 'found', accountId: 'alice' });
  t.same(await resolveSubject(sql, 'acme', { accountId: 'nobody' }), { kind: 'found', accountId: 'nobody' });
});

t.test('by email, in any case', async (t) => {
  t.same(await resolveSubject(sql, 'acme', { email: 'Alice@ACME.example' }), { kind: 'found', accountId: 'alice' });
  t.same(await resolveSubject(sql, 'acme', { email: ' bob@acme.example ' }), { kind: 'found', accountId: 'bob' });
  t.same(await resolveSubject(sql, 'acme', { email: 'nobody@acme.example' }), { kind: 'none' });
});

t.test('by mobile, however it is written', async (t) => {
  const [row] = await sql`select mobile from account_login.accounts where tenant_id = 'acme' and account_id = 'alice'`;
  t.equal(row?.mobile, '+49 151 2345 1001');
  for (const mobile of ['+4915123451001', '+49 (151) 2345-1001', '+49-151-2345-1001', '+49 151 23451001']) {
    t.same(await resolveSubject(sql, 'acme', { mobile }), { kind: 'found', accountId: 'alice' }, mobile);
  }
  t.same(await resolveSubject(sql, 'acme', { mobile: '+49 151 0000 0000' }), { kind: 'none' });
});

t.test('found in the address book only', async (t) => {
  // The address book and the login store agree in the demo; a number only the address book has still resolves.
  await sql`update address_book.contacts set mobile = '+49 (170) 555-0101' where tenant_id = 'acme' and account_id = 'carol'`;
  t.same(await resolveSubject(sql, 'acme', { mobile: '+491705550101' }), { kind: 'found', accountId: 'carol' });
});

t.test('an address two accounts share', async (t) => {
  t.same(await resolveSubject(sql, 'acme', { email: 'SUPPORT@acme.example' }), { kind: 'several', count: 2 });
});

t.test('one account found in both stores counts once', async (t) => {
  const login = await sql`select 1 from account_login.accounts where account_id = 'bob' and email = 'bob@acme.example'`;
  const book = await sql`select 1 from address_book.contacts where account_id = 'bob' and email = 'bob@acme.example'`;
  t.ok(login.length === 1 && book.length === 1, 'bob has his address in both');
  t.same(await resolveSubject(sql, 'acme', { email: 'bob@acme.example' }), { kind: 'found', accountId: 'bob' });
});

t.test('only within the tenant', async (t) => {
  t.same(await resolveSubject(sql, 'globex', { email: 'alice@acme.example' }), { kind: 'none' });
  t.same(await resolveSubject(sql, 'globex', { email: 'hank@globex.example' }), { kind: 'found', accountId: 'hank' });
});

t.test('nothing to go by', async (t) => {
  t.same(await resolveSubject(sql, 'acme', {}), { kind: 'none' });
  t.same(await resolveSubject(sql, 'acme', { mobile: ' () - ' }), { kind: 'none' });
});
