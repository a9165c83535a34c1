// tap `after`: stop what services-up started.
import { stopEmbeddedPostgres } from '../../src/embedded/postgres.js';
import { stopLocalRedis } from '../../src/embedded/redis.js';
import { rm } from 'node:fs/promises';
import { readTestServices, servicesDir } from './services.js';

const services = readTestServices();
await stopEmbeddedPostgres(services.pgDir);
await stopLocalRedis(services.redisDir);
await rm(servicesDir, { recursive: true, force: true });
