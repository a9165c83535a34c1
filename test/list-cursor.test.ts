import t from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import { sql } from 'drizzle-orm';
import { auth, createRequest, startSystem } from './helper.js';
import { loggableError } from '../src/errors.js';

// A list cursor is the client's to send back, so anything may come: a crafted one is a 400, never a
// query that fails in Postgres; and a query that does fail never puts its parameters in the log.
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(chunk.toString());
    done();
  },
});
const sys = await startSystem(t, {}, { log: pino({ level: 'trace' }, sink) });
const { app, keys } = sys;

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

t.test('a crafted cursor answers 400 problem+json', async (t) => {
  await createRequest(sys, { type: 'access', subject: { accountId: 'alice' } });
  await createRequest(sys, { type: 'access', subject: { accountId: 'bob' } });
  const first = (await app.inject({ method: 'GET', url: '/v1/requests?limit=1', headers: auth(keys.acme) })).json();
  t.type(first.nextCursor, 'string', 'a cursor the API made');
  const crafted = {
    'not a uuid': cursorOf(['2026-01-01T00:00:00Z', 'f'.repeat(36)]),
    'dashes only': cursorOf(['2026-01-01T00:00:00Z', '-'.repeat(36)]),
    'a year before 1': cursorOf(['-001000-01-01T00:00:00.000Z', '0b8f0a3e-56b4-4c36-9d0e-5a4b8f7b2a11']),
    'a year past 9999': cursorOf(['+275760-09-13T00:00:00.000Z', '0b8f0a3e-56b4-4c36-9d0e-5a4b8f7b2a11']),
    'a date as a number': cursorOf([0, '0b8f0a3e-56b4-4c36-9d0e-5a4b8f7b2a11']),
    'an object': cursorOf({ createdAt: '2026-01-01T00:00:00Z' }),
    'not JSON': Buffer.from('[2026').toString('base64url'),
  };
  for (const [what, cursor] of Object.entries(crafted)) {
    const res = await app.inject({ method: 'GET', url: `/v1/requests?accountId=alice&cursor=${cursor}`, headers: auth(keys.acme) });
    t.equal(res.statusCode, 400, `${what}: 400`);
    t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`);
    t.match(res.json(), { type: 'urn:dsar:problem:bad-request', errors: [{ field: '/cursor' }] });
  }
  const next = await app.inject({ method: 'GET', url: `/v1/requests?limit=1&cursor=${first.nextCursor}`, headers: auth(keys.acme) });
  t.equal(next.statusCode, 200, 'a cursor the API made still pages');
  t.notOk(lines.join('').includes('alice'), 'no account id in the logs');
});

t.test('a failed query is logged without its parameters or the values Postgres quotes', async (t) => {
  const email = 'alice.cursor@acme.example';
  const error = await sys.ctx.database.db.execute(sql`select ${email}::uuid`).then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  t.ok(error, 'the query failed');
  t.match(error?.message, email, "drizzle's message carries the parameter");
  const logged = JSON.stringify(loggableError(error));
  t.notOk(logged.includes(email), 'what is logged does not');
  t.notOk(logged.includes('alice'), 'not even a part of it');
  t.match(logged, /select \$1::uuid/, 'the query text is logged, with placeholders');
  t.match(logged, /22P02/, "and Postgres' error code");
});
