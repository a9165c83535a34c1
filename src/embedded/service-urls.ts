import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import type { ServiceUrls } from '../context.js';
import Type from 'typebox';
import Value from 'typebox/value';

const RecordedUrls = Type.Object({ databaseUrl: Type.String(), redisUrl: Type.String() });

/** While `dsar up` runs, the embedded services' URLs are in the data directory for the other commands. */
function stateFile(config: Config): string {
  return path.join(config.dataDir, 'embedded.json');
}

export async function recordServiceUrls(config: Config, urls: ServiceUrls): Promise<void> {
  // The database URL holds the embedded Postgres's password: readable by this user only
  // (a file left by a crash is replaced, not rewritten with its old mode).
  await forgetServiceUrls(config);
  await writeFile(stateFile(config), JSON.stringify(urls), { mode: 0o600 });
}

export async function forgetServiceUrls(config: Config): Promise<void> {
  await rm(stateFile(config), { force: true });
}

/** The services' URLs: from the environment, else from a running `dsar up`. */
export async function resolveServiceUrls(config: Config): Promise<ServiceUrls> {
  if (config.databaseUrl && config.redisUrl) return { databaseUrl: config.databaseUrl, redisUrl: config.redisUrl };
  const running = await readFile(stateFile(config), 'utf8').then(
    (text) => {
      const urls: unknown = JSON.parse(text);
      return Value.Check(RecordedUrls, urls) ? urls : undefined;
    },
    () => undefined,
  );
  const databaseUrl = config.databaseUrl ?? running?.databaseUrl;
  const redisUrl = config.redisUrl ?? running?.redisUrl;
  if (!databaseUrl || !redisUrl) {
    throw new Error('Set DATABASE_URL and REDIS_URL, or start the embedded system first with `npm start`.');
  }
  return { databaseUrl, redisUrl };
}
