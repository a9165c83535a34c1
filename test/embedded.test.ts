import t from 'tap';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { openSql } from '../src/db/client.js';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { startEmbeddedServices } from '../src/embedded/embedded-services.js';
import { removeEmbeddedPostgres, startEmbeddedPostgres } from '../src/embedded/postgres.js';
import { EmbeddedServiceError } from '../src/embedded/errors.js';
import { freePort } from '../src/embedded/ports.js';
import { resolveServiceUrls } from '../src/embedded/service-urls.js';
import { alive } from './setup/processes.js';


const postgresPid = async (dataDir: string) => Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
const redisPid = async (dataDir: string) => Number(await readFile(path.join(dataDir, 'redis', 'redis.pid'), 'utf8'));

t.test('the embedded services start from a data directory under a mode-0700 parent, and keep their secrets', async (t) => {
  // mkdtemp makes a 0700 directory: as root, the postgres user cannot enter it (CI runs as root).
  const parent = await mkdtemp(path.join(os.tmpdir(), 'dsar-embedded-'));
  const config = loadConfig({ DATA_DIR: path.join(parent, 'data'), LOG_LEVEL: 'silent' });
  t.teardown(async () => {
    await removeEmbeddedPostgres({ dir: path.join(config.dataDir, 'pg'), sharedDir: config.embeddedPostgresDir });
    await rm(parent, { recursive: true, force: true });
  });
  const tmpBefore = new Set(await readdir(os.tmpdir()));

  const services = await startEmbeddedServices(config);
  const sql = openSql(services.databaseUrl, { max: 1, onnotice: () => {} });
  const [row] = await sql`select current_database() as db, current_user as who, inet_server_addr() as address`;
  t.same(row, { db: 'dsar', who: 'postgres', address: null }, 'over the Unix socket: no server address');
  await sql.end();
  const redis = new Redis(services.redisUrl);
  t.equal(await redis.ping(), 'PONG');
  redis.disconnect();

  t.equal((await stat(parent)).mode & 0o777, 0o700, 'the parent keeps its mode');
  t.ok(services.postgresDir, 'the cluster is named');
  if (process.getuid?.() === 0) t.ok(services.postgresDir?.startsWith(config.embeddedPostgresDir + path.sep), 'as root: under EMBEDDED_POSTGRES_DIR');
  else t.equal(services.postgresDir, path.join(config.dataDir, 'pg'));

  // A random password, kept for this user only; never the old postgres/postgres.
  const password = (await readFile(path.join(config.dataDir, 'pg.password'), 'utf8')).trim();
  t.match(password, /^[0-9a-f]{48}$/);
  t.equal((await stat(path.join(config.dataDir, 'pg.password'))).mode & 0o777, 0o600);
  t.equal((await stat(path.join(config.dataDir, 'embedded.json'))).mode & 0o777, 0o600);
  t.ok(services.databaseUrl.includes(`:${password}@localhost:`));
  t.ok(services.databaseUrl.endsWith(`?host=${encodeURIComponent(services.postgresDir ?? '')}`), 'the socket is in the cluster\'s directory');
  const refused = openSql(services.databaseUrl.replace(password, 'postgres'), { max: 1, onnotice: () => {} });
  await t.rejects(refused`select 1`, /password authentication failed/);
  await refused.end();
  t.same(await resolveServiceUrls(config), { databaseUrl: services.databaseUrl, redisUrl: services.redisUrl });
  const leftInTmp = (await readdir(os.tmpdir())).filter((name) => !tmpBefore.has(name) && /^pg-password/.test(name));
  t.same(leftInTmp, [], 'no password file in the temporary directory');

  // As after a SIGKILL of `dsar up`: its daemons still run; the next start replaces them.
  const pgDir = services.postgresDir ?? '';
  const [oldPostgres, oldRedis] = [await postgresPid(pgDir), await redisPid(config.dataDir)];
  const again = await startEmbeddedServices(config);
  t.notOk(await alive(oldPostgres), 'the orphaned postgres is stopped');
  t.notOk(await alive(oldRedis), 'the orphaned redis-server is stopped');
  t.equal(again.databaseUrl.split('@')[0], services.databaseUrl.split('@')[0], 'same user and password');
  const [newPostgres, newRedis] = [await postgresPid(pgDir), await redisPid(config.dataDir)];

  await again.stop();
  t.notOk(await alive(newPostgres), 'postgres stopped');
  t.notOk(await alive(newRedis), 'redis-server stopped');
  t.notOk(existsSync(path.join(config.dataDir, 'embedded.json')), 'the URLs are forgotten');
});

t.test('as root, a shared directory the postgres user cannot reach is refused in one line', { skip: process.getuid?.() !== 0 && 'root only' }, async (t) => {
  const parent = await mkdtemp(path.join(os.tmpdir(), 'dsar-unreachable-'));
  t.teardown(() => rm(parent, { recursive: true, force: true }));
  const options = { dir: path.join(parent, 'pg'), sharedDir: path.join(parent, 'shared'), port: 1 };
  await t.rejects(startEmbeddedPostgres(options), {
    constructor: EmbeddedServiceError,
    message: `As root, the embedded Postgres runs as the user "postgres", which cannot enter ${parent}: set EMBEDDED_POSTGRES_DIR to a directory every user can enter, or set DATABASE_URL.`,
  });
  t.equal((await stat(parent)).mode & 0o777, 0o700, 'its mode is left alone');
});

t.test('a cluster from before the password file gets a random password on its next start', async (t) => {
  const parent = await mkdtemp(path.join(os.tmpdir(), 'dsar-old-cluster-'));
  const config = loadConfig({ DATA_DIR: parent });
  const pg = { dir: path.join(parent, 'pg'), sharedDir: config.embeddedPostgresDir };
  t.teardown(async () => {
    await removeEmbeddedPostgres(pg);
    await rm(parent, { recursive: true, force: true });
  });
  const first = await startEmbeddedPostgres({ ...pg, port: await freePort() });
  const sql = postgres(first.url, { max: 1, onnotice: () => {} });
  await sql`alter role postgres password 'postgres'`;
  await sql.end();
  await first.stop();
  await rm(path.join(parent, 'pg.password'));

  const again = await startEmbeddedPostgres({ ...pg, port: await freePort() });
  const password = (await readFile(path.join(parent, 'pg.password'), 'utf8')).trim();
  t.match(password, /^[0-9a-f]{48}$/);
  t.not(password, 'postgres');
  const check = postgres(again.url, { max: 1, onnotice: () => {} });
  t.same(await check`select 1 as one`, [{ one: 1 }]);
  await check.end();
  const bySocket = openSql(again.socketUrl ?? '', { max: 1, onnotice: () => {} });
  t.same(await bySocket`select inet_server_addr() as address`, [{ address: null }], 'the socket takes the new password');
  await bySocket.end();
  const old = postgres(again.url.replace(password, 'postgres'), { max: 1, onnotice: () => {} });
  await t.rejects(old`select 1`, /password authentication failed/);
  await old.end();
  await again.stop();
});
