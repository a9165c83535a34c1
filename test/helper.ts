import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import type { Logger } from 'pino';
import { loadConfig, type Env } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import { buildApp } from '../src/http/app.js';
import { startWorker, type RunningWorker } from '../src/worker/worker.js';
import { ensureDatabase, withDatabase } from '../src/db/migrate.js';
import { seedDemo } from '../src/demo/seed.js';
import { readTestServices, TEMPLATE_DATABASE } from './setup/services.js';

/**
 * Each test file gets its own database (a copy of the migrated template), its own queue prefix
 * and its own data directory, against the one Postgres and Redis the run started.
 */

export async function createTestDatabase(t: Test): Promise<string> {
  const { postgresUrl } = readTestServices();
  const name = `test_${randomBytes(6).toString('hex')}`;
  await ensureDatabase(postgresUrl, name, TEMPLATE_DATABASE);
  t.teardown(async () => {
    const admin = postgres(postgresUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  });
  return withDatabase(postgresUrl, name);
}

export interface TestSystem {
  ctx: Context;
  app: FastifyInstance;
  worker: RunningWorker;
  keys: { acme: string; globex: string };
  dataDir: string;
}

export async function startSystem(
  t: Test,
  env: Env = {},
  options: { worker?: boolean; log?: Logger; redisUrl?: string; viaDatabase?: (url: string) => Promise<string> } = {},
): Promise<TestSystem> {
  const testDatabase = await createTestDatabase(t);
  // A test of a database outage reaches its database through a proxy it cuts (test/fixtures/outage.ts).
  const databaseUrl = options.viaDatabase ? await options.viaDatabase(testDatabase) : testDatabase;
  const redisUrl = options.redisUrl ?? readTestServices().redisUrl;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dsar-test-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    QUEUE_PREFIX: `{dsar-test-${randomBytes(4).toString('hex')}}`,
    LOG_LEVEL: 'silent',
    // Tests are never throttled unless they say so (auth.test.ts tests the limits with small ones).
    RATE_LIMIT_PER_MINUTE: '1000000',
    SUBJECT_RATE_LIMIT_PER_MINUTE: '1000000',
    JOB_ATTEMPTS: '2',
    JOB_BACKOFF_MS: '20',
    // The suite's feature services and webhook receivers listen on this machine (src/outbound/guard.ts).
    OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
    ...env,
  });
  const ctx = createContext(config, { databaseUrl, redisUrl }, options.log);
  await seedDemo(ctx.database.sql, ctx.featureBlobs);
  const keys = {
    acme: await ctx.apiKeys.create('acme', 'test'),
    globex: await ctx.apiKeys.create('globex', 'test'),
  };
  const app = await buildApp(ctx);
  const worker = options.worker === false ? { close: async () => {}, reconcile: async () => 0, isRunning: () => false } : startWorker(ctx);
  t.teardown(async () => {
    await app.close();
    await worker.close();
    await ctx.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { ctx, app, worker, keys, dataDir };
}

export function auth(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

/** A data subject's token, as the suite's login would issue it (signed with the test system's secret). */
export function subjectToken(sys: TestSystem, tenant: string, subject: string, options: { authAgeSeconds?: number } = {}) {
  return sys.ctx.subjectTokens.mint(tenant, subject, options);
}

/** Polls a request over the API until it has ended. */
export async function waitForEnd(sys: TestSystem, id: string, key = sys.keys.acme, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await sys.app.inject({ method: 'GET', url: `/v1/requests/${id}`, headers: auth(key) });
    const body = res.json();
    if (['completed', 'partially_completed', 'failed', 'cancelled'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`request ${id} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** How a key says it verified the subject (every request a key makes on someone's behalf needs one). */
export const VERIFIED = { method: 'sso', note: 'signed in to the suite' } as const;

/**
 * Creates a request as an agent's key: verified, and a deletion the tenant reviews approved at once
 * (what an agent does); the approval flow itself is tested in review.test.ts.
 */
export async function createRequest(sys: TestSystem, body: object, key = sys.keys.acme) {
  const payload = { verification: VERIFIED, ...body };
  const res = await sys.app.inject({ method: 'POST', url: '/v1/requests', headers: auth(key), payload });
  if (res.statusCode !== 202) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
  const created = res.json();
  if (created.status !== 'awaiting_approval') return created;
  const approved = await sys.app.inject({ method: 'POST', url: `/v1/requests/${created.id}/approve`, headers: auth(key) });
  if (approved.statusCode !== 200) throw new Error(`approve failed: ${approved.statusCode} ${approved.body}`);
  return approved.json();
}
