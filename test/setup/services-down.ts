// tap `after`: stop what services-up started.
import { stopEmbeddedPostgres } from '../../src/embedded/postgres.js';
import { stopLocalRedis } from '../../src/embedded/redis.js';
import { readTestServices } from './services.js';

const services = readTestServices();
await stopEmbeddedPostgres(services.pgDir);
await stopLocalRedis(services.redisDir);
