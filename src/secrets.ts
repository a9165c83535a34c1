import { createPrivateKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';

/**
 * The deployment's secrets: the key that encrypts partials and results at rest and the key that
 * signs download links (each base64 of 32 random bytes), the key that signs deletion receipts,
 * and the secret of subject tokens when no login service verifies them. Every host of a
 * deployment must share them, so with DATABASE_URL set they come from the environment. The embedded system (`dsar up`, no
 * DATABASE_URL) is one host: it generates each once into DATA_DIR/keys/ and reuses it.
 */

export interface Secrets {
  resultsKey: Buffer;
  linkSigningKey: Buffer;
  /** Ed25519 key that signs deletion receipts; its public half is served for auditors. */
  receiptSigningKey: KeyObject;
  /** HS256 secret (base64) of subject tokens, unless a login service's JWKS verifies them. */
  subjectTokenSecret?: string;
}

const randomSecret = () => randomBytes(32).toString('base64');
const ed25519Pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

export function loadSecrets(config: Config): Secrets {
  return {
    resultsKey: Buffer.from(
      secret(config, config.resultsEncryptionKey, 'RESULTS_ENCRYPTION_KEY', 'results-encryption.key', randomSecret),
      'base64',
    ),
    linkSigningKey: Buffer.from(
      secret(config, config.linkSigningKey, 'LINK_SIGNING_KEY', 'link-signing.key', randomSecret),
      'base64',
    ),
    receiptSigningKey: createPrivateKey(
      secret(config, config.receiptSigningKey, 'RECEIPT_SIGNING_KEY', 'receipt-signing.pem', ed25519Pem),
    ),
    subjectTokenSecret: subjectTokenSecret(config),
  };
}

/** A deployment with a login service verifies its JWKS; one without accepts no subject tokens unless given a secret. */
export function subjectTokenSecret(config: Config): string | undefined {
  if (config.subjectJwksUrl) return undefined;
  if (config.subjectTokenSecret || !config.databaseUrl) {
    return secret(config, config.subjectTokenSecret, 'SUBJECT_TOKEN_SECRET', 'subject-token.key', randomSecret);
  }
  return undefined;
}

function secret(config: Config, value: string | undefined, name: string, fileName: string, make: () => string): string {
  if (value) return value;
  if (config.databaseUrl) throw new Error(`${name} must be set when DATABASE_URL is (see README, Configuration)`);
  return generatedOnce(path.join(config.dataDir, 'keys', fileName), make);
}

function generatedOnce(file: string, make: () => string): string {
  if (!existsSync(file)) generate(file, make);
  return readFileSync(file, 'utf8').trim();
}

function generate(file: string, make: () => string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomUUID()}`;
  writeFileSync(temp, `${make()}\n`, { mode: 0o600 });
  try {
    // link() never replaces a file: of two processes starting at once, both end up with the first key.
    linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(temp);
  }
}
