import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import path from 'node:path';
import { FEATURE_IDS, type FeatureId } from './catalogue/schema.js';

/**
 * What a `dsar worker` process works (WORKER_QUEUES): feature tasks (with the plan jobs that add a new request's flow), assemblies, webhook deliveries
 * (with their outbox relay), and housekeeping (the scheduled jobs and the reconciler with its admission pass).
 */
export const WORKER_POOLS = ['feature-tasks', 'assembly', 'webhooks', 'housekeeping'] as const;
export type WorkerPool = (typeof WORKER_POOLS)[number];

/** Secrets are base64 of 32 random bytes: `openssl rand -base64 32`. */
const BASE64_32_BYTES = '^[A-Za-z0-9+/]{43}=$';

/**
 * All configuration comes from the environment, validated once at start-up.
 * Unset DATABASE_URL / REDIS_URL mean "embedded": `dsar up` starts them itself.
 */
const ConfigSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  host: Type.String(),
  databaseUrl: Type.Optional(Type.String({ minLength: 1 })),
  redisUrl: Type.Optional(Type.String({ minLength: 1 })),
  redisCluster: Type.Boolean(),
  dataDir: Type.String({ minLength: 1 }),
  embeddedPostgresDir: Type.String({ minLength: 1 }),
  shutdownGraceMs: Type.Integer({ minimum: 0 }),
  blobDir: Type.String({ minLength: 1 }),
  resultsDir: Type.String({ minLength: 1 }),
  queuePrefix: Type.String({ pattern: '^\\{[^}]+\\}' }),
  logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
  bodyLimit: Type.Integer({ minimum: 1024 }),
  workerConcurrency: Type.Integer({ minimum: 1 }),
  backlogConcurrency: Type.Integer({ minimum: 1 }),
  assemblyConcurrency: Type.Integer({ minimum: 1 }),
  webhookConcurrency: Type.Integer({ minimum: 1 }),
  workerQueues: Type.Array(Type.Enum([...WORKER_POOLS]), { minItems: 1 }),
  tenantMaxActiveRequests: Type.Integer({ minimum: 0 }),
  featureConcurrency: Type.Partial(Type.Record(Type.Enum([...FEATURE_IDS]), Type.Integer({ minimum: 1 })), { additionalProperties: false }),
  jobAttempts: Type.Integer({ minimum: 1 }),
  jobBackoffMs: Type.Integer({ minimum: 0 }),
  reconcileIntervalMs: Type.Integer({ minimum: 100 }),
  claimRenewMs: Type.Integer({ minimum: 100 }),
  taskTimeoutMs: Type.Integer({ minimum: 1 }),
  eraseBatchRows: Type.Integer({ minimum: 1 }),
  retryAfterSeconds: Type.Integer({ minimum: 1 }),
  featureDatabaseUrls: Type.Record(Type.String(), Type.String()),
  resultsStore: Type.Union([Type.Literal('local'), Type.Literal('s3')]),
  s3: Type.Optional(
    Type.Object({
      bucket: Type.String({ minLength: 1 }),
      region: Type.String({ minLength: 1 }),
      endpoint: Type.Optional(Type.String({ pattern: '^https?://' })),
      forcePathStyle: Type.Boolean(),
    }),
  ),
  resultsEncryptionKey: Type.Optional(Type.String({ pattern: BASE64_32_BYTES })),
  linkSigningKey: Type.Optional(Type.String({ pattern: BASE64_32_BYTES })),
  receiptSigningKey: Type.Optional(Type.String({ pattern: '-----BEGIN PRIVATE KEY-----' })),
  resultTtlDays: Type.Integer({ minimum: 1 }),
  recordRetentionMonths: Type.Integer({ minimum: 24 }),
  resultPartBytes: Type.Integer({ minimum: 1024 * 1024 }),
  linkTtlSeconds: Type.Integer({ minimum: 60 }),
  publicBaseUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
  maxUploadBytes: Type.Integer({ minimum: 1 }),
  connectorTimeoutMs: Type.Integer({ minimum: 1 }),
  connectorRetries: Type.Integer({ minimum: 0 }),
  outboundAllowHosts: Type.Array(Type.String({ minLength: 1 })),
  outboundAllowHttp: Type.Boolean(),
  webhookAttempts: Type.Integer({ minimum: 1 }),
  webhookBackoffMs: Type.Integer({ minimum: 0 }),
  webhookTimeoutMs: Type.Integer({ minimum: 1 }),
  webhookPollMs: Type.Integer({ minimum: 10 }),
  webhookDeliveryRetentionDays: Type.Integer({ minimum: 1 }),
  subjectJwksUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
  subjectTokenIssuer: Type.Optional(Type.String({ minLength: 1 })),
  subjectTokenAudience: Type.Optional(Type.String({ minLength: 1 })),
  subjectTokenSecret: Type.Optional(Type.String({ pattern: BASE64_32_BYTES })),
  authCacheMs: Type.Integer({ minimum: 0 }),
  tenantCacheMs: Type.Integer({ minimum: 0 }),
  rateLimitPerMinute: Type.Integer({ minimum: 1 }),
  subjectRateLimitPerMinute: Type.Integer({ minimum: 1 }),
  stepUpMaxAgeSeconds: Type.Integer({ minimum: 1 }),
  metricsToken: Type.Optional(Type.String({ minLength: 16 })),
  workerMetricsPort: Type.Integer({ minimum: 0, maximum: 65535 }),
  operatorTenants: Type.Array(Type.String({ minLength: 1 })),
  corsOrigins: Type.Array(Type.String({ pattern: '^https?://[^/]+$' })),
});
export type Config = Static<typeof ConfigSchema>;

export type Env = Record<string, string | undefined>;

function int(value: string | undefined, fallback: number): number {
  return value === undefined || value === '' ? fallback : Number(value);
}

/** A comma-separated list, e.g. `acme, globex`. */
function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** FEATURE_DATABASE_URL_CLOCK_IN=... points the clock-in adapter at that feature's own database. */
function featureDatabaseUrls(env: Env): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const id of FEATURE_IDS) {
    const url = env[featureDatabaseEnvName(id)];
    if (url) urls[id] = url;
  }
  return urls;
}

/** RESULTS_STORE=s3: results in one bucket every host reaches; credentials from the AWS SDK's usual variables. */
function s3Settings(env: Env) {
  if (env.RESULTS_STORE !== 's3') return undefined;
  return {
    bucket: env.S3_BUCKET ?? '',
    region: env.S3_REGION || env.AWS_REGION || 'us-east-1',
    endpoint: env.S3_ENDPOINT || undefined,
    forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true',
  };
}

/** FEATURE_CONCURRENCY=im:2,clouddrive:1: at most that many tasks of the feature run at once across all workers. */
function featureConcurrency(value: string): Record<string, number> {
  return Object.fromEntries(
    list(value).map((entry) => {
      const [feature = '', limit = ''] = entry.split(':').map((part) => part.trim());
      return [feature, limit === '' ? Number.NaN : Number(limit)];
    }),
  );
}

export function featureDatabaseEnvName(id: FeatureId): string {
  return `FEATURE_DATABASE_URL_${id.toUpperCase().replaceAll('-', '_')}`;
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(env.DATA_DIR ?? '.data');
  const config = {
    port: int(env.PORT, 3000),
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    // REDIS_URL names one node of a Redis Cluster (src/queue/redis.ts).
    redisCluster: env.REDIS_CLUSTER === 'true',
    dataDir,
    // As root, the embedded Postgres runs as the postgres user: its binaries and cluster live where that user can reach.
    embeddedPostgresDir: path.resolve(env.EMBEDDED_POSTGRES_DIR || '/var/lib/dsar-embedded-postgres'),
    // SIGTERM/SIGINT: in-flight requests and jobs get this long before the process exits anyway.
    shutdownGraceMs: int(env.SHUTDOWN_GRACE_MS, 10_000),
    blobDir: path.resolve(env.BLOB_DIR ?? path.join(dataDir, 'blobs')),
    resultsDir: path.resolve(env.RESULTS_DIR ?? path.join(dataDir, 'results')),
    queuePrefix: env.QUEUE_PREFIX ?? '{dsar}',
    logLevel: env.LOG_LEVEL ?? 'info',
    bodyLimit: int(env.BODY_LIMIT_BYTES, 64 * 1024),
    // Feature tasks mostly wait on their stores and the results store: a request's 19 run side by side, in one wave.
    workerConcurrency: int(env.WORKER_CONCURRENCY, 20),
    // The tasks of a tenant with requests waiting for admission: so few that another tenant's share the thread with only these.
    backlogConcurrency: int(env.BACKLOG_CONCURRENCY, 4),
    // Assemblies (and deliveries) keep the concurrency they had unless WORKER_CONCURRENCY says otherwise: an assembly works the CPU.
    assemblyConcurrency: int(env.ASSEMBLY_CONCURRENCY, int(env.WORKER_CONCURRENCY, 4)),
    webhookConcurrency: int(env.WEBHOOK_CONCURRENCY, int(env.WORKER_CONCURRENCY, 4)),
    // A worker process works these pools (all by default): e.g. `feature-tasks,assembly` on some hosts, `housekeeping` on one.
    workerQueues: env.WORKER_QUEUES ? list(env.WORKER_QUEUES) : [...WORKER_POOLS],
    // Requests of one tenant in flight at once (0: no limit); the rest wait `received` and are admitted oldest first (src/requests/admission.ts).
    tenantMaxActiveRequests: int(env.TENANT_MAX_ACTIVE_REQUESTS, 0),
    featureConcurrency: featureConcurrency(env.FEATURE_CONCURRENCY ?? ''),
    jobAttempts: int(env.JOB_ATTEMPTS, 3),
    jobBackoffMs: int(env.JOB_BACKOFF_MS, 2000),
    // How often the worker compares the requests in Postgres with their jobs in Redis (src/queue/reconciler.ts).
    reconcileIntervalMs: int(env.RECONCILE_INTERVAL_MS, 30_000),
    // How often a worker writes again its claim on each job it runs (src/queue/claims.ts); a request lost by Redis is enqueued after two.
    claimRenewMs: int(env.CLAIM_RENEW_MS, 5_000),
    // A feature's adapter that has not finished within this long fails the attempt as `timeout`.
    taskTimeoutMs: int(env.TASK_TIMEOUT_MS, 5 * 60_000),
    // An erasure deletes or anonymizes this many rows per transaction: a row others use stays locked only that long.
    eraseBatchRows: int(env.ERASE_BATCH_ROWS, 5000),
    // What a 503 tells the caller to wait while Postgres or Redis is down (its Retry-After, in seconds).
    retryAfterSeconds: int(env.RETRY_AFTER_SECONDS, 5),
    featureDatabaseUrls: featureDatabaseUrls(env),
    resultsStore: env.RESULTS_STORE || 'local',
    s3: s3Settings(env),
    resultsEncryptionKey: env.RESULTS_ENCRYPTION_KEY || undefined,
    linkSigningKey: env.LINK_SIGNING_KEY || undefined,
    // A PEM in one environment variable often arrives with literal \n.
    receiptSigningKey: env.RECEIPT_SIGNING_KEY?.replaceAll('\\n', '\n') || undefined,
    resultTtlDays: int(env.RESULT_TTL_DAYS, 7),
    // Request records and receipts, after the request ended (CCPA § 7101: at least 24 months).
    recordRetentionMonths: int(env.RECORD_RETENTION_MONTHS, 24),
    // Archives above this split into numbered parts, each a complete zip (2 GiB by default).
    resultPartBytes: int(env.RESULT_PART_BYTES, 2 * 1024 ** 3),
    linkTtlSeconds: int(env.LINK_TTL_SECONDS, 7 * 24 * 60 * 60),
    publicBaseUrl: env.PUBLIC_BASE_URL?.replace(/\/+$/, '') || undefined,
    maxUploadBytes: int(env.MANUAL_UPLOAD_LIMIT_BYTES, 512 * 1024 * 1024),
    connectorTimeoutMs: int(env.CONNECTOR_TIMEOUT_MS, 10_000),
    connectorRetries: int(env.CONNECTOR_RETRIES, 2),
    // Connectors and webhooks call only public https addresses, except these hosts (src/outbound/guard.ts).
    outboundAllowHosts: list(env.OUTBOUND_ALLOW_HOSTS ?? ''),
    outboundAllowHttp: env.OUTBOUND_ALLOW_HTTP === 'true',
    // A webhook delivery is tried this often, waiting WEBHOOK_BACKOFF_MS, then twice as long each time.
    webhookAttempts: int(env.WEBHOOK_ATTEMPTS, 8),
    webhookBackoffMs: int(env.WEBHOOK_BACKOFF_MS, 10_000),
    webhookTimeoutMs: int(env.WEBHOOK_TIMEOUT_MS, 10_000),
    // How often the worker looks for deliveries to send (and enqueues again those Redis lost).
    webhookPollMs: int(env.WEBHOOK_POLL_MS, 1000),
    // Delivered and failed webhook deliveries leave the log this long after their last attempt (hourly job).
    webhookDeliveryRetentionDays: int(env.WEBHOOK_DELIVERY_RETENTION_DAYS, 30),
    subjectJwksUrl: env.SUBJECT_JWKS_URL || undefined,
    subjectTokenIssuer: env.SUBJECT_TOKEN_ISSUER || undefined,
    subjectTokenAudience: env.SUBJECT_TOKEN_AUDIENCE || undefined,
    subjectTokenSecret: env.SUBJECT_TOKEN_SECRET || undefined,
    // A key checked as live is taken this long without asking Postgres; other processes see a revocation within it.
    authCacheMs: int(env.AUTH_CACHE_MS, 5000),
    // A tenant's settings as a request reads them are taken this long; other processes' changes are seen within it.
    tenantCacheMs: int(env.TENANT_CACHE_MS, 5000),
    rateLimitPerMinute: int(env.RATE_LIMIT_PER_MINUTE, 600),
    subjectRateLimitPerMinute: int(env.SUBJECT_RATE_LIMIT_PER_MINUTE, 60),
    // A subject's own deletion needs a login at most this old (auth_time of their token).
    stepUpMaxAgeSeconds: int(env.STEP_UP_MAX_AGE_SECONDS, 300),
    // Prometheus's bearer token for /metrics; unset, no metrics are served.
    metricsToken: env.METRICS_TOKEN || undefined,
    // Where a worker running without the API serves its own /metrics.
    workerMetricsPort: int(env.WORKER_METRICS_PORT, 9464),
    // Whose admin keys open the queue dashboard, which shows every tenant's jobs; embedded: the demo's tenant.
    operatorTenants: env.OPERATOR_TENANTS !== undefined ? list(env.OPERATOR_TENANTS) : env.DATABASE_URL ? [] : ['acme'],
    // Browser origins (scheme://host[:port]) whose pages may call the API, e.g. an admin console; unset, none.
    corsOrigins: list(env.CORS_ORIGINS ?? '').map((origin) => origin.replace(/\/+$/, '')),
  };
  if (!Value.Check(ConfigSchema, config)) {
    const problems = [...Value.Errors(ConfigSchema, config)].map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  // A login service's tokens are only as good as the checks of whom they were issued by and for.
  if (config.subjectJwksUrl && !(config.subjectTokenIssuer && config.subjectTokenAudience)) {
    throw new Error('Invalid configuration: SUBJECT_JWKS_URL needs SUBJECT_TOKEN_ISSUER and SUBJECT_TOKEN_AUDIENCE');
  }
  return config;
}
