import { parseArgs } from 'node:util';
import closeWithGrace from 'close-with-grace';
import { connectRedis } from './queue/redis.js';
import { loadConfig, type Config } from './config.js';
import { createContext, type Context, type ServiceUrls } from './context.js';
import { buildApp } from './http/app.js';
import { startWorker } from './worker/worker.js';
import { serveWorkerMetrics } from './metrics/worker-server.js';
import { runMigrations } from './db/migrate.js';
import { isClosedSocketWrite } from './db/client.js';
import { unavailable } from './dependencies.js';
import { seedDemo } from './demo/seed.js';
import { resolveServiceUrls } from './embedded/service-urls.js';
import { startHeartbeat, workerIsAlive } from './worker/heartbeat.js';
import { subjectTokenSecret } from './secrets.js';
import { SubjectTokens, subjectTokenSettings } from './auth/subject-tokens.js';

const USAGE = `Usage: dsar <command>

  up                          everything on embedded defaults: Postgres, Redis, migrations, demo data, API and worker
  api                         the HTTP API only (DATABASE_URL, REDIS_URL)
  worker                      the BullMQ worker only (DATABASE_URL, REDIS_URL)
  migrate                     apply the migrations in drizzle/ (run once per deployment, not per replica)
  seed                        load the demo tenants and data (idempotent)
  openapi                     print the OpenAPI document (needs no services)
  health api|worker           exit 0 if the API on PORT is ready / a worker on this host is alive (container health checks)
  apikey create --tenant ID [--name NAME] [--role admin|agent]
                              mint an API key for a tenant (default role admin); printed once, stored hashed
  token --tenant ID --subject ACCOUNT [--auth-age SECONDS]
                              mint a data subject's token with SUBJECT_TOKEN_SECRET, as the suite's login would;
                              --auth-age: how long ago they logged in (0: just now)`;

async function withContext<T>(config: Config, urls: ServiceUrls, run: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = createContext(config, urls);
  try {
    return await run(ctx);
  } finally {
    await ctx.close();
  }
}

/**
 * What a long-running command started, stopped in reverse order once: on SIGINT/SIGTERM, on a crash,
 * or when the start fails half-way (the embedded Postgres and Redis are daemons: they outlive us unless stopped).
 */
class Running {
  private readonly started: Array<{ stop: () => Promise<void>; stopNow?: () => void }> = [];
  private stopping?: Promise<void>;

  add(stop: () => Promise<void>, stopNow?: () => void): void {
    this.started.push({ stop, stopNow });
  }

  /** Each is stopped even when one before it fails: the daemons must not be left behind. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { stop } of this.started.reverse()) await stop().catch((err: unknown) => report('while stopping', err));
    })();
    return this.stopping;
  }

  /** A forced exit cannot wait: stop what can be stopped synchronously (the embedded daemons). */
  stopNow(): void {
    for (const { stopNow } of this.started) stopNow?.();
  }
}

const running = new Running();
/** The command under way; a signal during a start lets it finish (or fail and clean up) before stopping. */
let starting: Promise<void> = Promise.resolve();

/**
 * SIGINT/SIGTERM: in-flight HTTP requests finish and workers finish their jobs or hand them back,
 * within SHUTDOWN_GRACE_MS; a second signal or the deadline exits at once.
 */
function stopOnSignal(config: Config): void {
  const exitNow = (why: string) => {
    console.error(`${why}: exiting now`);
    running.stopNow();
  };
  closeWithGrace(
    {
      delay: config.shutdownGraceMs,
      logger: { error: (message: unknown) => console.error(oneLine(message)) },
      onSecondSignal: (signal) => exitNow(`second ${signal}`),
      onTimeout: (delay) => exitNow(`still stopping after ${delay} ms (SHUTDOWN_GRACE_MS)`),
      onSecondError: (err) => exitNow(`crashed again: ${oneLine(err)}`),
      // Rejections are told apart below first.
      skip: ['unhandledRejection'],
    },
    async ({ signal, err }) => {
      if (err) report('crashed', err);
      else if (signal) console.error(`${signal}: stopping (up to ${config.shutdownGraceMs} ms; again to exit at once)`);
      await starting.catch(() => {});
      await running.stop();
    },
  );
  // Every other uncaught exception goes on to close-with-grace, which stops the process.
  if (!process.hasUncaughtExceptionCaptureCallback()) {
    process.setUncaughtExceptionCaptureCallback((err) => {
      if (isClosedSocketWrite(err)) console.error('postgres.js wrote to a connection that had closed (porsager/postgres#1154): ignored');
      else process.emit('uncaughtException', err as Error);
    });
  }
  // While Postgres is down, a rejected query or one of postgres.js' own promises (a transaction's watch
  // on its connection) can reject before anything awaits it. What awaits it later still gets the error,
  // and the worker waits the outage out; only such a connection error is let pass. Anything else crashes.
  process.on('unhandledRejection', (reason) => {
    if (unavailable(reason) === 'database') console.error(`Postgres unavailable, seen by nothing yet: ${oneLine(reason)}`);
    else throw reason;
  });
}

async function serve(ctx: Context, options: { api: boolean; worker: boolean }): Promise<void> {
  const app = options.api ? await buildApp(ctx) : undefined;
  if (options.worker) {
    const worker = startWorker(ctx);
    running.add(() => worker.close());
    const heartbeat = startHeartbeat(ctx.redis, ctx.config.queuePrefix, () => worker.isRunning());
    running.add(() => heartbeat.stop());
    // With the API in the process, its /metrics has the worker's too.
    if (!app && ctx.config.metricsToken) {
      const metrics = await serveWorkerMetrics(ctx);
      running.add(() => metrics.close());
    }
  }
  if (app) {
    running.add(() => app.close());
    await app.listen({ port: ctx.config.port, host: ctx.config.host });
  }
}

/** The API's address from this host. */
function localUrl(config: Config): string {
  return `http://${['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : config.host}:${config.port}`;
}

async function health(config: Config, what: string | undefined): Promise<void> {
  if (what === 'api') {
    const res = await fetch(`${localUrl(config)}/readyz`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`the API on port ${config.port} is not ready (${res.status})`);
  } else if (what === 'worker') {
    const { redisUrl } = await resolveServiceUrls(config);
    // One try: a probe that cannot reach Redis fails now rather than waits.
    const redis = connectRedis({ url: redisUrl, cluster: config.redisCluster }, { maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000, lazyConnect: true });
    let cause: unknown;
    redis.on('error', (err) => (cause = err));
    try {
      const alive = await workerIsAlive(redis, config.queuePrefix).catch((err: unknown) => {
        throw new Error(`Redis not reachable: ${oneLine(cause ?? err)}`);
      });
      if (!alive) throw new Error('no live worker on this host');
    } finally {
      redis.disconnect();
    }
  } else {
    throw new UsageError('health needs api or worker');
  }
  console.log('ok');
}

async function demoKeys(ctx: Context): Promise<{ acme: string; globex: string }> {
  const demoKey = (tenant: string, variable: string) =>
    ctx.apiKeys.create(tenant, 'demo', 'admin', process.env[variable] || undefined).catch((err: unknown) => {
      throw new Error(`${variable}: ${err instanceof Error ? err.message : String(err)}`);
    });
  return { acme: await demoKey('acme', 'DEMO_API_KEY'), globex: await demoKey('globex', 'DEMO_API_KEY_2') };
}

/** Data subjects sign in with the suite's login; the embedded system stands in for it with a secret. */
function subjectTokenHelp(config: Config): string {
  if (config.subjectJwksUrl) return `  Subject tokens:  verified with ${config.subjectJwksUrl}\n`;
  const secret = config.subjectTokenSecret ? '(as set)' : `${subjectTokenSecret(config)}   (generated, kept in $DATA_DIR/keys/)`;
  return `  Subject tokens:  HS256, SUBJECT_TOKEN_SECRET=${secret}
                   a token for alice of acme: npm run --silent dsar -- token --tenant acme --subject alice
`;
}

async function up(config: Config): Promise<void> {
  stopOnSignal(config);
  // Only `up` loads the embedded services: their binaries are dev dependencies.
  const { startEmbeddedServices } = await import('./embedded/embedded-services.js');
  const services = await startEmbeddedServices(config);
  running.add(services.stop, services.stopNow);
  await runMigrations(services.databaseUrl);
  const ctx = createContext(config, services);
  running.add(() => ctx.close());
  await seedDemo(ctx.database.sql, ctx.featureBlobs);
  const keys = await demoKeys(ctx);
  await serve(ctx, { api: true, worker: true });
  const base = localUrl(config);
  console.log(`
DSAR backend is up (embedded Postgres, local Redis, demo data).

  API docs:        ${base}/docs
  Demo API key:    ${keys.acme}   (tenant acme, admin; DEMO_API_KEY)
  Second tenant:   ${keys.globex}   (tenant globex, admin; DEMO_API_KEY_2)${services.postgresDir ? `\n  Postgres data:   ${services.postgresDir}` : ''}
${subjectTokenHelp(config)}  Queue dashboard: ${base}/admin/queues   (any user name; password: an admin key of ${config.operatorTenants.join(', ') || 'OPERATOR_TENANTS'})
  Metrics:         ${config.metricsToken ? `${base}/metrics   (Authorization: Bearer $METRICS_TOKEN)` : 'set METRICS_TOKEN to serve /metrics'}

Try it:
  curl -s -X POST ${base}/v1/requests \\
    -H "Authorization: Bearer ${keys.acme}" -H 'Content-Type: application/json' \\
    -d '{"type":"access","subject":{"accountId":"alice"},"verification":{"method":"sso","note":"signed in to the portal"}}'

Press Ctrl+C to stop.`);
}

async function main(argv: string[]): Promise<void> {
  const [command, sub, ...rest] = argv;
  const config = loadConfig();
  switch (command) {
    case 'up':
      return up(config);
    case 'api':
    case 'worker': {
      stopOnSignal(config);
      const ctx = createContext(config, await resolveServiceUrls(config));
      running.add(() => ctx.close());
      return serve(ctx, { api: command === 'api', worker: command === 'worker' });
    }
    case 'health':
      return health(config, sub);
    case 'openapi':
      return withContext(config, { databaseUrl: 'postgres://unused@127.0.0.1:1/unused', redisUrl: 'redis://127.0.0.1:1' }, async (ctx) => {
        const app = await buildApp(ctx);
        await app.ready();
        process.stdout.write(`${JSON.stringify(app.swagger(), null, 2)}\n`);
        await app.close();
      });
    case 'migrate':
      await runMigrations((await resolveServiceUrls(config)).databaseUrl);
      console.log('migrations applied');
      return;
    case 'seed':
      return withContext(config, await resolveServiceUrls(config), async (ctx) => {
        const { seeded } = await seedDemo(ctx.database.sql, ctx.featureBlobs);
        console.log(seeded ? 'demo data loaded' : 'demo data already present');
      });
    case 'apikey': {
      const { values } = parseArgs({
        args: rest,
        options: { tenant: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', default: 'admin' } },
      });
      if (sub !== 'create' || !values.tenant) throw new UsageError('apikey create needs --tenant ID');
      const { tenant, role } = values;
      if (role !== 'admin' && role !== 'agent') throw new UsageError('--role is admin or agent');
      return withContext(config, await resolveServiceUrls(config), async (ctx) => {
        console.log(await ctx.apiKeys.create(tenant, values.name ?? 'cli', role));
      });
    }
    case 'token': {
      const { values } = parseArgs({
        args: [sub ?? '', ...rest].filter(Boolean),
        options: { tenant: { type: 'string' }, subject: { type: 'string' }, 'auth-age': { type: 'string', default: '0' } },
      });
      const authAgeSeconds = Number(values['auth-age']);
      if (!values.tenant || !values.subject || !Number.isInteger(authAgeSeconds) || authAgeSeconds < 0) {
        throw new UsageError('token needs --tenant ID --subject ACCOUNT [--auth-age SECONDS]');
      }
      const tokens = new SubjectTokens(subjectTokenSettings(config, subjectTokenSecret(config)));
      console.log(await tokens.mint(values.tenant, values.subject, { authAgeSeconds }));
      return;
    }
    default:
      throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
  }
}

class UsageError extends Error {}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/** Errors are reported in one line, `dsar <command>: what went wrong`; LOG_LEVEL=debug adds the stack. */
function report(context: string, err: unknown): void {
  console.error(`dsar ${process.argv[2] ?? ''}${context ? ` (${context})` : ''}: ${oneLine(err)}`);
  if (process.env.LOG_LEVEL === 'debug') console.error(err);
}

starting = main(process.argv.slice(2));
starting.catch(async (err: unknown) => {
  if (err instanceof UsageError) console.error(`${err.message}\n\n${USAGE}`);
  else report('', err);
  await running.stop();
  process.exit(err instanceof UsageError ? 2 : 1);
});
