import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';

/**
 * The two secrets of delivery: the key that encrypts results at rest and the key that signs
 * download links, each base64 of 32 random bytes. Every host of a deployment must share them,
 * so with DATABASE_URL set they come from the environment. The embedded system (`dsar up`, no
 * DATABASE_URL) is one host: it generates each once into DATA_DIR/keys/ and reuses it.
 */

export interface DeliveryKeys {
  resultsKey: Buffer;
  linkSigningKey: Buffer;
}

export function deliveryKeys(config: Config): DeliveryKeys {
  return {
    resultsKey: secret(config, config.resultsEncryptionKey, 'RESULTS_ENCRYPTION_KEY', 'results-encryption.key'),
    linkSigningKey: secret(config, config.linkSigningKey, 'LINK_SIGNING_KEY', 'link-signing.key'),
  };
}

function secret(config: Config, value: string | undefined, name: string, fileName: string): Buffer {
  if (value) return Buffer.from(value, 'base64');
  if (config.databaseUrl) throw new Error(`${name} must be set (base64 of 32 random bytes) when DATABASE_URL is`);
  return generatedOnce(path.join(config.dataDir, 'keys', fileName));
}

function generatedOnce(file: string): Buffer {
  if (!existsSync(file)) generate(file);
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}

function generate(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomUUID()}`;
  writeFileSync(temp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  try {
    // link() never replaces a file: of two processes starting at once, both end up with the first key.
    linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(temp);
  }
}
