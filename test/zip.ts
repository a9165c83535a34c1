import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

  constructor(bytes: Buffer) {
    this.file = zipPath();
    writeFileSync(this.file, bytes);
    execFileSync('unzip', ['-tq', this.file]); // integrity: CRCs and structure
  }

  names(): string[] {
    return execFileSync('unzip', ['-Z1', this.file], { encoding: 'utf8' }).split('\n').filter(Boolean);
  }

  read(name: string): Buffer {
    // unzip treats names as wildcard patterns; escape the pattern characters.
    return execFileSync('unzip', ['-p', this.file, name.replace(/[[\]*?\\]/g, '\\$&')], { maxBuffer: 1 << 30 });
  }

  text(name: string): string {
    return this.read(name).toString('utf8');
  }

  json<T = any>(name: string): T {
    return JSON.parse(this.text(name)) as T;
  }
}
