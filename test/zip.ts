import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let directory: string | undefined;
let written = 0;

/** One temporary directory per test process, removed when it exits. */
function zipPath(): string {
  if (!directory) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dsar-zip-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    directory = dir;
  }
  written += 1;
  return path.join(directory, `archive-${written}.zip`);
}

/** Reads archives back with the system's unzip: an independent implementation checks ours. */
export class ZipFile {
  readonly file: string;
  /** Where every entry was extracted at the first read, and the names that can be read from there. */
  private extracted: { dir: string; names: Set<string> } | undefined;

  constructor(bytes: Buffer) {
    this.file = zipPath();
    writeFileSync(this.file, bytes);
    execFileSync('unzip', ['-tq', this.file]); // integrity: CRCs and structure
  }

  names(): string[] {
    return execFileSync('unzip', ['-Z1', this.file], { encoding: 'utf8' }).split('\n').filter(Boolean);
  }

  read(name: string): Buffer {
    const extracted = this.extract();
    if (extracted.names.has(name)) return readFileSync(path.join(extracted.dir, name));
    // unzip treats names as wildcard patterns; escape the pattern characters.
    return execFileSync('unzip', ['-p', this.file, name.replace(/[[\]*?\\]/g, '\\$&')], { maxBuffer: 1 << 30 });
  }

  /**
   * A test reads many entries, and each `unzip -p` is a process: the archive is extracted once, at the
   * first read, and read from there. A name that may not land on disk as itself (a duplicate, a
   * directory, one unzip would not write as is) is still read with `unzip -p`.
   */
  private extract(): { dir: string; names: Set<string> } {
    if (this.extracted) return this.extracted;
    this.extracted = { dir: `${this.file}.d`, names: new Set() };
    try {
      execFileSync('unzip', ['-qq', '-o', this.file, '-d', this.extracted.dir], { env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' }, stdio: 'ignore' });
    } catch {
      return this.extracted;
    }
    const seen = new Map<string, number>();
    for (const name of this.names()) seen.set(name, (seen.get(name) ?? 0) + 1);
    for (const [name, times] of seen) {
      if (times > 1 || name.split('/').some((part) => part === '' || part === '.' || part === '..')) continue;
      if (statSync(path.join(this.extracted.dir, name), { throwIfNoEntry: false })?.isFile()) this.extracted.names.add(name);
    }
    return this.extracted;
  }

  text(name: string): string {
    return this.read(name).toString('utf8');
  }

  json<T = any>(name: string): T {
    return JSON.parse(this.text(name)) as T;
  }
}
