// tap `before`: start one Postgres and one Redis for the whole run, on free ports, as daemons
// (this script exits before the tests start), and migrate a template database the tests copy.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startEmbeddedPostgres, stopEmbeddedPostgres } from '../../src/embedded/postgres.js';
import { startLocalRedis, stopLocalRedis } from '../../src/embedded/redis.js';
import { freePort } from '../../src/embedded/ports.js';
import { ensureDatabase, runMigrations, withDatabase } from '../../src/db/migrate.js';
import { servicesDir, servicesFile, TEMPLATE_DATABASE } from './services.js';

const pgDir = path.join(servicesDir, 'pg');
const redisDir = path.join(servicesDir, 'redis');

// A previous run that was killed may have left its services behind.
await stopEmbeddedPostgres(pgDir);
await stopLocalRedis(redisDir);
await rm(servicesDir, { recursive: true, force: true });
await mkdir(servicesDir, { recursive: true });

const [pgPort, redisPort] = [await freePort(), await freePort()];
const postgres = await startEmbeddedPostgres({ dir: pgDir, port: pgPort });
const redis = await startLocalRedis({ dir: redisDir, port: redisPort, persist: false });

await ensureDatabase(postgres.url, TEMPLATE_DATABASE);
await runMigrations(withDatabase(postgres.url, TEMPLATE_DATABASE));

await writeFile(servicesFile, JSON.stringify({ postgresUrl: postgres.url, redisUrl: redis.url, pgDir, redisDir }));
console.log(`# test services: postgres on ${pgPort}, redis on ${redisPort}`);
