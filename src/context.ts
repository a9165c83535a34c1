import pino, { type Logger } from 'pino';
import type { KeyObject } from 'node:crypto';
import type { Config } from './config.js';
import { connect, type Database, type Sql } from './db/client.js';
import { LocalBlobStore, type BlobStore } from './blobs/blob-store.js';
import { catalogue } from './catalogue/catalogue.js';
import type { Catalogue } from './catalogue/schema.js';
import type { FeatureAdapter } from './features/adapter.js';
import { builtInAdapters } from './features/registry.js';
import { RequestFlow } from './queue/flow.js';
import { redisConnection, type RedisClient } from './queue/redis.js';
import { RequestRepository } from './requests/repository.js';
import { RequestService } from './requests/request-service.js';
import { ApiKeyService } from './auth/api-keys.js';
import { SubjectTokens, subjectTokenSettings } from './auth/subject-tokens.js';
import { TenantService } from './tenants/tenant-service.js';
import { FeatureSettingsService } from './tenants/feature-settings.js';
import { AdapterResolver, type ResolvedAdapter } from './features/adapter-resolver.js';
import { RequestSettings } from './tasks/request-settings.js';
import { ManualTaskService } from './tasks/manual-task.js';
import { resolveSubject } from './identity/resolve-subject.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { EncryptedBlobStore } from './blobs/encrypted-blob-store.js';
import { S3BlobStore, s3Client } from './blobs/s3-blob-store.js';
import { DeliveryService } from './delivery/delivery-service.js';
import { RecordService } from './records/record-service.js';
import { RequestRecords } from './records/records.js';
import { loadSecrets } from './secrets.js';
import { DeliveryRepository } from './delivery/repository.js';
import { AuditTrail } from './audit/trail.js';
import { ReviewService } from './requests/review-service.js';
import { RetryService } from './requests/retry-service.js';
import { ApprovalService } from './tenants/approval.js';
import { NoticeService } from './notice/notice-service.js';
import { LinkSigner } from './delivery/signing.js';
import { SecretSealer } from './connectors/secret-sealing.js';
import { Metrics } from './metrics/metrics.js';
import { IdempotencyStore } from './idempotency/idempotency-store.js';
import { OutboundGuard } from './outbound/guard.js';
import { WebhookService } from './webhooks/webhook-service.js';

/**
 * The composition root: every long-lived dependency, built once from configuration and shared
 * by the API and the worker. Tests build one per test file against their own database and queues.
 */
export interface Context {
  config: Config;
  /** The time as the services see it: deadlines and overdue follow it (tests set it instead of waiting). */
  clock: () => Date;
  log: Logger;
  database: Database;
  redis: RedisClient;
  flow: RequestFlow;
  catalogue: Catalogue;
  adapters: ReadonlyMap<string, FeatureAdapter>;
  featureSql(feature: string): Sql;
  featureBlobs: BlobStore;
  results: BlobStore;
  repo: RequestRepository;
  tenants: TenantService;
  requests: RequestService;
  review: ReviewService;
  retries: RetryService;
  approval: ApprovalService;
  notices: NoticeService;
  apiKeys: ApiKeyService;
  /** Verifies data subjects' tokens (and mints them for the demo, `dsar token`). */
  subjectTokens: SubjectTokens;
  featureSettings: FeatureSettingsService;
  resolveAdapter(tenantId: string, feature: string): Promise<ResolvedAdapter>;
  /** The tenant's policy and adapters as the feature tasks of one request read them, once for all of them. */
  taskSettings: RequestSettings;
  manualTasks: ManualTaskService;
  /** The audit trail; other modules record their events with `audit.record(...)`. */
  audit: AuditTrail;
  delivery: DeliveryService;
  /** Signs deletion receipts (Ed25519); its public half is served at /v1/receipts/public-key. */
  receiptSigningKey: KeyObject;
  /** Guards every call to an address a tenant configured (connectors, webhooks). */
  outbound: OutboundGuard;
  /** Sealed connector and webhook secrets. */
  secrets: SecretSealer;
  /** Webhook endpoints and their delivery logs; the worker sends (src/webhooks/delivery.ts). */
  webhooks: WebhookService;
  /** This process's Prometheus metrics: the API and the worker observe into it. */
  metrics: Metrics;
  /** The Idempotency-Keys of POSTs and their answers (the API's hooks; the worker purges what expired). */
  idempotency: IdempotencyStore;
  /** Requests' records and receipts, their yearly figures, and their housekeeping. */
  records: RecordService;
  close(): Promise<void>;
}

export interface ServiceUrls {
  databaseUrl: string;
  redisUrl: string;
}

export function createLogger(config: Config): Logger {
  return pino({
    level: config.logLevel,
  });
}

/** Partials and results are personal data: encrypted at rest, in a directory or (several hosts) an S3 bucket. */
function resultsStore(config: Config, key: Buffer, s3: S3Client | undefined): BlobStore {
  const inner = s3 && config.s3 ? new S3BlobStore(s3, config.s3.bucket) : new LocalBlobStore(config.resultsDir);
  return new EncryptedBlobStore(inner, key);
}

export function createContext(config: Config, urls: ServiceUrls, log: Logger = createLogger(config)): Context {
  const database = connect(urls.databaseUrl);
  const featureDatabases = new Map<string, Database>();
  const featureSql = (feature: string): Sql => {
    const url = config.featureDatabaseUrls[feature];
    if (!url) return database.sql;
    let db = featureDatabases.get(url);
    if (!db) {
      db = connect(url, { max: 4 });
      featureDatabases.set(url, db);
    }
    return db.sql;
  };
  const redis = redisConnection({ url: urls.redisUrl, cluster: config.redisCluster }, log);
  const flow = new RequestFlow(redis, {
    prefix: config.queuePrefix,
    attempts: config.jobAttempts,
    backoffMs: config.jobBackoffMs,
  });
  const keys = loadSecrets(config);
  const s3 = config.s3 && s3Client(config.s3);
  const results = resultsStore(config, keys.resultsKey, s3);
  const repo = new RequestRepository(database.db);
  const tenants: TenantService = new TenantService(database.db, {
    approval: (tenantId) => approval.get(tenantId),
    noticeVersion: (tenantId) => notices.currentVersion(tenantId),
    cacheMs: config.tenantCacheMs,
  });
  const apiKeys = new ApiKeyService(database.db, { cacheMs: config.authCacheMs });
  const approval: ApprovalService = new ApprovalService(database.db, tenants);
  const notices: NoticeService = new NoticeService(database.db, catalogue, tenants);
  const requests = new RequestService(
    repo,
    tenants,
    flow,
    catalogue,
    () => context.clock(),
    log,
    (tenantId, by) => resolveSubject(featureSql('account-login'), tenantId, by),
    { stepUpMaxAgeSeconds: config.stepUpMaxAgeSeconds, maxActivePerTenant: config.tenantMaxActiveRequests },
  );
  const featureBlobs = new LocalBlobStore(config.blobDir);
  // Connector and webhook secrets at rest (each sealed to its own row).
  const secrets = new SecretSealer(keys.resultsKey);
  const outbound = new OutboundGuard({ allowHosts: config.outboundAllowHosts, allowHttp: config.outboundAllowHttp });
  const featureSettings = new FeatureSettingsService(
    database.db,
    catalogue,
    (f) => builtInAdapters.has(f as never),
    secrets,
    outbound,
    tenants,
  );
  const resolver = new AdapterResolver(featureSettings, builtInAdapters, {
    timeoutMs: config.connectorTimeoutMs,
    retries: config.connectorRetries,
    outbound,
  });
  const context: Context = {
    config,
    clock: () => new Date(),
    log,
    database,
    redis,
    flow,
    catalogue,
    adapters: builtInAdapters,
    featureSql,
    featureBlobs,
    results,
    repo,
    tenants,
    requests,
    review: new ReviewService(repo, requests, flow, () => context.clock()),
    retries: new RetryService(repo, requests),
    approval,
    notices,
    apiKeys,
    subjectTokens: new SubjectTokens(subjectTokenSettings(config, keys.subjectTokenSecret)),
    featureSettings,
    audit: new AuditTrail(database.db),
    resolveAdapter: (tenantId, feature) => resolver.resolve(tenantId, feature),
    taskSettings: new RequestSettings((tenantId) => {
      const settings = featureSettings.forTasks(tenantId);
      return { ...settings, adapter: async (feature) => resolver.adapterOf(feature, await settings.resolve(feature)) };
    }),
    manualTasks: new ManualTaskService(repo, requests, results, flow, config.maxUploadBytes),
    receiptSigningKey: keys.receiptSigningKey,
    metrics: new Metrics(log),
    idempotency: new IdempotencyStore(database.db),
    records: new RecordService(new RequestRecords(database.db), config, log),
    outbound,
    secrets,
    webhooks: new WebhookService(database.db, secrets, outbound),
    delivery: new DeliveryService(
      repo,
      new DeliveryRepository(database.db),
      results,
      new LinkSigner(keys.linkSigningKey),
      { linkTtlSeconds: config.linkTtlSeconds, resultTtlDays: config.resultTtlDays, publicBaseUrl: config.publicBaseUrl },
      log,
      { featureBlobs, featureSql, log, storeTimeoutMs: config.taskTimeoutMs },
    ),
    async close() {
      await flow.close();
      await outbound.dispatcher.close();
      s3?.destroy();
      redis.disconnect();
      await Promise.all([database.close(), ...[...featureDatabases.values()].map((d) => d.close())]);
    },
  };
  return context;
}
