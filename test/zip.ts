import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Reads archives back with the system's unzip: an independent implementation checks ours. */
export class ZipFile {
  readonly file: string;

  constructor(bytes: Buffer) {
    this.file = path.join(mkdtempSync(path.join(os.tmpdir(), 'dsar-zip-')), 'archive.zip');
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
