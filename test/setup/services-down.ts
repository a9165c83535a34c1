// tap `after`: stop what services-up started and delete everything it made.
import { rm } from 'node:fs/promises';
import { loadConfig } from '../../src/config.js';
import { removeEmbeddedPostgres } from '../../src/embedded/postgres.js';
import { stopLocalRedis } from '../../src/embedded/redis.js';
import { pgOptions, redisClusterDir, redisDir, servicesDir } from './services.js';

await removeEmbeddedPostgres(pgOptions(loadConfig()));
await stopLocalRedis(redisDir);
await stopLocalRedis(redisClusterDir);
await rm(servicesDir, { recursive: true, force: true });
