import { cp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';
import { ensureDatabase, runMigrations, withDatabase } from '../../src/db/migrate.js';
import { freePort } from '../../src/embedded/ports.js';
import {
  removeEmbeddedPostgres,
  startEmbeddedPostgres,
  stopEmbeddedPostgres,
  type EmbeddedPostgresOptions,
} from '../../src/embedded/postgres.js';
import { startLocalRedis, stopLocalRedis } from '../../src/embedded/redis.js';

/**
 * The fault suite's own Postgres and Redis, never the ones `npm test` shares: it stops, restarts and
 * kills them. Started like the test run's (src/embedded: as root the cluster lives under
 * EMBEDDED_POSTGRES_DIR), under the suite's mode-0700 directory, on ports that stay the same
 * across restarts. Redis keeps an append-only file, as a production Redis under BullMQ does.
 *
 * A snapshot (the database as a template, the data directory and Redis's files copied while it is
 * stopped) lets every scenario start from the same requests, ids and queued jobs.
 */

const DATABASE = 'dsar';
const SNAPSHOT_DATABASE = 'dsar_snapshot';

export class PrivateServices {
  readonly dataDir: string;
  private readonly pg: EmbeddedPostgresOptions;
  private readonly redisDir: string;
  private adminUrl = '';

  private constructor(
    root: string,
    readonly pgPort: number,
    readonly redisPort: number,
  ) {
    this.dataDir = path.join(root, 'data');
    this.pg = { dir: path.join(root, 'pg'), sharedDir: loadConfig().embeddedPostgresDir };
    this.redisDir = path.join(root, 'redis');
  }

  static async start(root: string): Promise<PrivateServices> {
    const services = new PrivateServices(root, await freePort(), await freePort());
    await services.startPostgres();
    await services.startRedis();
    await ensureDatabase(services.adminUrl, DATABASE);
    await runMigrations(services.databaseUrl);
    return services;
  }

  get databaseUrl(): string {
    return withDatabase(this.adminUrl, DATABASE);
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }

  async startPostgres(): Promise<void> {
    this.adminUrl = (await startEmbeddedPostgres({ ...this.pg, port: this.pgPort })).url;
  }

  /** A clean, fast shutdown: open connections are cut, running transactions rolled back. */
  stopPostgres(): Promise<void> {
    return stopEmbeddedPostgres(this.pg);
  }

  async startRedis(): Promise<void> {
    await startLocalRedis({ dir: this.redisDir, port: this.redisPort, persist: true });
  }

  /** SIGKILL: no shutdown; what the append-only file had not yet written (up to a second) is lost. */
  async killRedis(): Promise<void> {
    const pidFile = path.join(this.redisDir, 'redis.pid');
    const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''));
    if (pid) {
      process.kill(pid, 'SIGKILL');
      while (isAlive(pid)) await sleep(20);
    }
    await rm(pidFile, { force: true });
  }

  async flushRedis(): Promise<void> {
    const redis = new Redis(this.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.flushall();
    } finally {
      redis.disconnect();
    }
  }

  /** Keeps the database, the data directory and Redis as they are now; nothing may be connected to the database. */
  async snapshot(): Promise<void> {
    await this.admin(async (sql) => {
      await sql.unsafe(`drop database if exists ${SNAPSHOT_DATABASE}`);
      await sql.unsafe(`create database ${SNAPSHOT_DATABASE} template ${DATABASE}`);
    });
    await this.copyStopped(this.dataDir, `${this.dataDir}.snapshot`);
  }

  /** Back to the snapshot (the processes using the services stopped first). */
  async restore(): Promise<void> {
    await this.admin(async (sql) => {
      await sql.unsafe(`drop database if exists ${DATABASE} with (force)`);
      await sql.unsafe(`create database ${DATABASE} template ${SNAPSHOT_DATABASE}`);
    });
    await rm(this.dataDir, { recursive: true, force: true });
    await cp(`${this.dataDir}.snapshot`, this.dataDir, { recursive: true });
    await stopLocalRedis(this.redisDir);
    await rm(this.redisDir, { recursive: true, force: true });
    await cp(`${this.redisDir}.snapshot`, this.redisDir, { recursive: true });
    await this.startRedis();
  }

  /** Redis is stopped (cleanly: its files complete) while its directory is copied. */
  private async copyStopped(dataDir: string, target: string): Promise<void> {
    await rm(target, { recursive: true, force: true });
    await cp(dataDir, target, { recursive: true });
    await stopLocalRedis(this.redisDir);
    await rm(`${this.redisDir}.snapshot`, { recursive: true, force: true });
    await cp(this.redisDir, `${this.redisDir}.snapshot`, { recursive: true });
    await this.startRedis();
  }

  private async admin(run: (sql: postgres.Sql) => Promise<void>): Promise<void> {
    const sql = postgres(this.adminUrl, { max: 1, onnotice: () => {} });
    try {
      await run(sql);
    } finally {
      await sql.end({ timeout: 5 });
    }
  }

  /** Stops both and deletes the cluster (the suite's directory is the caller's). */
  async remove(): Promise<void> {
    await stopLocalRedis(this.redisDir).catch(() => {});
    await removeEmbeddedPostgres(this.pg).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
