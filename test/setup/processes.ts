import { readdir, readFile, readlink } from 'node:fs/promises';

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
    if (dirs.some((dir) => cwd === dir || cwd.startsWith(dir + '/') || cmdline.includes(dir))) found.push(`${pid} ${cmdline}`);
  }
  return found;
}
