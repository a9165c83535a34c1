import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../src/config.js';
import type { EmbeddedPostgresOptions } from '../../src/embedded/postgres.js';

/**
 * Where the `before` script leaves the addresses of the services it started for this run.
 * The before script, the test files and the after script are all children of one tap process,
 * so its pid names the run: concurrent runs (two worktrees, two developers) never share services.
 * As root, the cluster itself lives under EMBEDDED_POSTGRES_DIR (src/embedded/postgres.ts).
 */
export const servicesDir = path.join(os.tmpdir(), `dsar-test-services-${process.ppid}`);
export const servicesFile = path.join(servicesDir, 'services.json');
export const redisDir = path.join(servicesDir, 'redis');
export const redisClusterDir = path.join(servicesDir, 'redis-cluster');

export function pgOptions(config: Config): EmbeddedPostgresOptions {
  return { dir: path.join(servicesDir, 'pg'), sharedDir: config.embeddedPostgresDir };
}
export const TEMPLATE_DATABASE = 'dsar_template';

export interface TestServices {
  /** Admin connection to the test Postgres (database `postgres`). */
  postgresUrl: string;
  redisUrl: string;
  /** A Redis Cluster of one node holding every slot (test/redis-cluster.test.ts). */
  redisClusterUrl: string;
}

export function readTestServices(): TestServices {
  try {
    return JSON.parse(readFileSync(servicesFile, 'utf8')) as TestServices;
  } catch {
    throw new Error(`No test services found at ${servicesFile}: run the tests with \`npm test\` (tap starts them).`);
  }
}
