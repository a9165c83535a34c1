import { execFile as execFileCb, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { EmbeddedServiceError } from './errors.js';

const execFile = promisify(execFileCb);

/** A local redis-server from the operating system's packages, run as a daemon on loopback. */
export class RedisMissingError extends EmbeddedServiceError {
  constructor() {
    super(
      'redis-server was not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, ' +
        'macOS: `brew install redis`) or point REDIS_URL at a running Redis.',
    );
  }
}

export interface RunningRedis {
  url: string;
  stop(): Promise<void>;
  /** Stops it at once, synchronously: for a forced exit, which cannot wait. */
  stopNow(): void;
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** `cluster`: a Redis Cluster of this one node (for the tests of REDIS_CLUSTER); its slots are assigned by the caller. */
export async function startLocalRedis(options: { dir: string; port: number; persist: boolean; cluster?: boolean }): Promise<RunningRedis> {
  if (!hasRedisServer()) throw new RedisMissingError();
  const dir = path.resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const pidFile = path.join(dir, 'redis.pid');
  await execFile('redis-server', [
    '--port', String(options.port),
    '--bind', '127.0.0.1',
    '--daemonize', 'yes',
    '--pidfile', pidFile,
    '--logfile', path.join(dir, 'redis.log'),
    '--dir', dir,
    // BullMQ needs keys kept: never evict.
    '--maxmemory-policy', 'noeviction',
    ...(options.persist ? ['--appendonly', 'yes'] : ['--save', '', '--appendonly', 'no']),
    // Alone, a cluster node names itself with no address in CLUSTER SLOTS, where clients learn where to connect.
    ...(options.cluster ? ['--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'), '--cluster-announce-ip', '127.0.0.1'] : []),
  ]);
  await waitForPidFile(pidFile);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  return {
    url: `redis://127.0.0.1:${options.port}`,
    stop: () => stopLocalRedis(dir),
    stopNow: () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    },
  };
}

async function waitForPidFile(pidFile: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await readFile(pidFile, 'utf8').catch(() => '')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new EmbeddedServiceError(`redis-server did not start; see its log, ${path.join(path.dirname(pidFile), 'redis.log')}`);
}

export async function stopLocalRedis(dir: string): Promise<void> {
  const pid = Number(await readFile(path.join(path.resolve(dir), 'redis.pid'), 'utf8').catch(() => ''));
  if (!pid) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
