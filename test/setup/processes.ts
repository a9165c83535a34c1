import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { loadConfig } from '../../src/config.js';
import { embeddedPostgresDataDir, removeEmbeddedPostgres } from '../../src/embedded/postgres.js';
import { freePort } from '../../src/embedded/ports.js';

/** Is a process of this pid still alive after a moment (a stopped server takes a few ms to exit)? */
export async function alive(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/**
 * The processes working in one of these directories, or naming one on their command line (Linux /proc):
 * a postgres and a redis-server run in their data directory.
 */
export async function processesIn(dirs: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
    if (dirs.some((dir) => cwd === dir || cwd.startsWith(`${dir}/`) || cmdline.includes(dir))) found.push(`${pid} ${cmdline}`);
  }
  return found;
}

/** `dsar` as a user runs it, from the sources. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function dsar(args: string[], env: Record<string, string>, onStdout?: (text: string, pid: number) => void): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    // No coverage from the child: it loads src/ through tsx, not tap's TypeScript loader, so its functions
    // map to other ranges of the same files and were counted as a second, mostly uncovered copy of them
    // (the run's function coverage swung between 70 % and 85 %, failing the threshold at random).
    env: { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0', LOG_LEVEL: 'warn', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout, child.pid ?? 0);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** A data directory for `dsar up` under a fresh 0700 directory, and the directories its daemons run in. */
export async function dataDirectory(t: Test) {
  const parent = await mkdtemp(path.join(os.tmpdir(), 'dsar-cli-'));
  const config = loadConfig({ DATA_DIR: path.join(parent, 'data') });
  const pg = { dir: path.join(config.dataDir, 'pg'), sharedDir: config.embeddedPostgresDir };
  t.teardown(async () => {
    await removeEmbeddedPostgres(pg);
    await rm(parent, { recursive: true, force: true });
  });
  return {
    env: { DATA_DIR: config.dataDir, PORT: String(await freePort()) },
    daemonDirs: [parent, await embeddedPostgresDataDir(pg)],
  };
}
