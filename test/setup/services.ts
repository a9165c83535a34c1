import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/paths.js';

/** Where the `before` script leaves the addresses of the services it started for this run. */
export const servicesDir = path.join(projectRoot, '.data', 'test-services');
export const servicesFile = path.join(servicesDir, 'services.json');
export const TEMPLATE_DATABASE = 'dsar_template';

export interface TestServices {
  /** Admin connection to the test Postgres (database `postgres`). */
  postgresUrl: string;
  redisUrl: string;
  pgDir: string;
  redisDir: string;
}

export function readTestServices(): TestServices {
  try {
    return JSON.parse(readFileSync(servicesFile, 'utf8')) as TestServices;
  } catch {
    throw new Error(`No test services found at ${servicesFile}: run the tests with \`npm test\` (tap starts them).`);
  }
}
