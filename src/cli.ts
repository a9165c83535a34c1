#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from './config.js';
import { createContext, createLogger, type Context, type ServiceUrls } from './context.js';
import { buildApp } from './http/app.js';
import { startWorker } from './worker/worker.js';
import { runMigrations } from './db/migrate.js';
import { seedDemo } from './demo/seed.js';
import { resolveServiceUrls, startEmbeddedServices } from './embedded/embedded-services.js';
import { RedisMissingError } from './embedded/redis.js';
import { subjectTokenSecret } from './secrets.js';
import { SubjectTokens, subjectTokenSettings } from './auth/subject-tokens.js';

const USAGE = `Usage: dsar <command>

  up                          everything on embedded defaults: Postgres, Redis, migrations, demo data, API and worker
  api                         the HTTP API only (DATABASE_URL, REDIS_URL)
  worker                      the BullMQ worker only (DATABASE_URL, REDIS_URL)
  migrate                     apply the migrations in drizzle/ (run once per deployment, not per replica)
  seed                        load the demo tenants and data (idempotent)
  openapi                     print the OpenAPI document (needs no services)
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

async function serve(ctx: Context, options: { api: boolean; worker: boolean }) {
  const app = options.api ? await buildApp(ctx) : undefined;
  const worker = options.worker ? startWorker(ctx) : undefined;
  if (app) await app.listen({ port: ctx.config.port, host: ctx.config.host });
  return async () => {
    await app?.close();
    await worker?.close();
  };
}

function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

async function demoKeys(ctx: Context): Promise<{ acme: string; globex: string }> {
  return {
    acme: await ctx.apiKeys.create('acme', 'demo', 'admin', process.env.DEMO_API_KEY || undefined),
    globex: await ctx.apiKeys.create('globex', 'demo', 'admin', process.env.DEMO_API_KEY_2 || undefined),
  };
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
  const services = await startEmbeddedServices(config);
  await runMigrations(services.databaseUrl);
  const ctx = createContext(config, services);
  await seedDemo(ctx.database.sql, ctx.featureBlobs);
  const keys = await demoKeys(ctx);
  const stopServing = await serve(ctx, { api: true, worker: true });
  onShutdown(async () => {
    await stopServing();
    await ctx.close();
    await services.stop();
  });
  const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  console.log(`
DSAR backend is up (embedded Postgres, local Redis, demo data).

  API docs:        ${base}/docs
  Demo API key:    ${keys.acme}   (tenant acme, admin; DEMO_API_KEY)
  Second tenant:   ${keys.globex}   (tenant globex, admin; DEMO_API_KEY_2)
${subjectTokenHelp(config)}
Try it:
  curl -s -X POST ${base}/v1/requests \\
    -H "Authorization: Bearer ${keys.acme}" -H 'Content-Type: application/json' \\
    -d '{"type":"access","subject":{"accountId":"alice"}}'

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
      const ctx = createContext(config, await resolveServiceUrls(config));
      const stop = await serve(ctx, { api: command === 'api', worker: command === 'worker' });
      onShutdown(async () => {
        await stop();
        await ctx.close();
      });
      return;
    }
    case 'openapi':
      return withContext(config, { databaseUrl: 'postgres://unused@127.0.0.1:1/unused', redisUrl: 'redis://127.0.0.1:1' }, async (ctx) => {
        const app = await buildApp(ctx);
        await app.ready();
        process.stdout.write(JSON.stringify(app.swagger(), null, 2) + '\n');
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

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) console.error(`${err.message}\n\n${USAGE}`);
  else if (err instanceof RedisMissingError) console.error(err.message);
  else createLogger(loadConfig()).error({ err }, 'command failed');
  process.exit(err instanceof UsageError ? 2 : 1);
});
