import { execFile as execFileCb, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { openSync, closeSync } from 'node:fs';
import { promisify } from 'node:util';
import { sleep } from './services.js';

const execFile = promisify(execFileCb);

/**
 * The API and the worker as an operator runs them: separate processes of the built CLI
 * (`node dist/src/cli.js api|worker`, after `npm run build`), configured by the environment.
 * Their output (pino JSON lines) goes to a log file per process, for reading after a run.
 */

const CLI = 'dist/src/cli.js';

export type Env = Record<string, string>;

/** What both processes need besides the services: the keys a deployment sets, a short reconcile interval. */
export function deploymentEnv(services: { databaseUrl: string; redisUrl: string; dataDir: string }, port: number): Env {
  const receiptKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    DATA_DIR: services.dataDir,
    PORT: String(port),
    LOG_LEVEL: 'info',
    RECONCILE_INTERVAL_MS: '1000',
    RESULTS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LINK_SIGNING_KEY: randomBytes(32).toString('base64'),
    RECEIPT_SIGNING_KEY: receiptKey,
    // The suite's own calls are not what is under test.
    RATE_LIMIT_PER_MINUTE: '1000000',
  };
}

/** A one-off command (`migrate`, `seed`, `apikey create …`): its standard output. */
export async function cli(args: string[], env: Env): Promise<string> {
  const { stdout } = await execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  return stdout.trim();
}

export class ServiceProcess {
  private readonly child: ChildProcess;
  /** The exit code or signal, once it has exited. */
  readonly exited: Promise<string>;
  private exit?: string;

  constructor(command: 'api' | 'worker', env: Env, logFile: string) {
    const log = openSync(logFile, 'a');
    this.child = spawn(process.execPath, [CLI, command], { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
    closeSync(log);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exit = signal ?? `exit code ${code}`;
        resolve(this.exit);
      }),
    );
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** How it ended, if it has. */
  get ended(): string | undefined {
    return this.exit;
  }

  async kill(): Promise<void> {
    if (this.exit === undefined) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, as an orchestrator stops it, then SIGKILL if it is still there after the grace period. */
  async stop(): Promise<void> {
    if (this.exit !== undefined) return;
    this.child.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!stopped) await this.kill();
  }
}

/** Starts the API and waits until it answers /readyz. */
export async function startApi(env: Env, logFile: string): Promise<ServiceProcess> {
  const api = new ServiceProcess('api', env, logFile);
  const ready = `http://127.0.0.1:${env.PORT}/readyz`;
  for (let waited = 0; waited < 60_000; waited += 200) {
    if (api.ended) throw new Error(`the API exited (${api.ended}); see ${logFile}`);
    const ok = await fetch(ready).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return api;
    await sleep(200);
  }
  await api.kill();
  throw new Error(`the API was not ready within 60 s; see ${logFile}`);
}
