import pino, { type Logger } from 'pino';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { connect, type Database, type Sql } from './db/client.js';
import { LocalBlobStore, type BlobStore } from './blobs/blob-store.js';
import { catalogue } from './catalogue/catalogue.js';
import type { Catalogue } from './catalogue/schema.js';
import type { FeatureAdapter } from './features/adapter.js';
import { builtInAdapters } from './features/registry.js';
import { RequestFlow, redisConnection } from './queue/flow.js';
import { RequestRepository } from './requests/repository.js';
import { RequestService } from './requests/request-service.js';
import { ApiKeyService } from './auth/api-keys.js';
import { TenantService } from './tenants/tenant-service.js';

/**
 * The composition root: every long-lived dependency, built once from configuration and shared
 * by the API and the worker. Tests build one per test file against their own database and queues.
 */
export interface Context {
  config: Config;
  log: Logger;
  database: Database;
  redis: Redis;
  flow: RequestFlow;
  catalogue: Catalogue;
  adapters: ReadonlyMap<string, FeatureAdapter>;
  featureSql(feature: string): Sql;
  featureBlobs: BlobStore;
  results: BlobStore;
  repo: RequestRepository;
  requests: RequestService;
  apiKeys: ApiKeyService;
  close(): Promise<void>;
}

export interface ServiceUrls {
  databaseUrl: string;
  redisUrl: string;
}

export function createLogger(config: Config): Logger {
  return pino({
    level: config.logLevel,
    // Keys and cookies never reach the log.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'], censor: '[redacted]' },
  });
}

export function createContext(config: Config, urls: ServiceUrls, log: Logger = createLogger(config)): Context {
  const database = connect(urls.databaseUrl);
  const featureDatabases = new Map<string, Database>();
  const featureSql = (feature: string): Sql => {
    const url = config.featureDatabaseUrls[feature];
    if (!url) return database.sql;
    let db = featureDatabases.get(url);
    if (!db) featureDatabases.set(url, (db = connect(url, { max: 4 })));
    return db.sql;
  };
  const redis = redisConnection(urls.redisUrl);
  const flow = new RequestFlow(redis, {
    prefix: config.queuePrefix,
    attempts: config.jobAttempts,
    backoffMs: config.jobBackoffMs,
  });
  const results = new LocalBlobStore(config.resultsDir);
  const repo = new RequestRepository(database.db);
  const requests = new RequestService(
    repo,
    new TenantService(database.db),
    flow,
    results,
    catalogue,
    config.dueDays,
    log,
  );
  return {
    config,
    log,
    database,
    redis,
    flow,
    catalogue,
    adapters: builtInAdapters,
    featureSql,
    featureBlobs: new LocalBlobStore(config.blobDir),
    results,
    repo,
    requests,
    apiKeys: new ApiKeyService(database.db),
    async close() {
      await flow.close();
      redis.disconnect();
      await Promise.all([database.close(), ...[...featureDatabases.values()].map((d) => d.close())]);
    },
  };
}
