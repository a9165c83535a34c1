import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'sealed:v1:';
const NONCE_SIZE = 12;
const TAG_SIZE = 16;

/** A stored secret that does not open with this key for this owner: altered, moved or foreign. */
export class SealedSecretError extends Error {
  override name = 'SealedSecretError';
}

/**
 * Secrets at rest (connector secrets, webhook signing secrets): AES-256-GCM under a key derived from
 * the results key (HKDF with its own label, so it is none of the keys the results are encrypted with).
 * A sealed value is "sealed:v1:" and the base64url of nonce | ciphertext | tag. Its owner (a
 * connector's tenant and feature, a webhook's id) is the AAD, so a value copied into another row
 * does not open there.
 */
export class SecretSealer {
  private readonly key: Buffer;

  constructor(resultsKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', resultsKey, Buffer.alloc(0), 'dsar connector secrets v1', 32));
  }

  seal(secret: string, owner: string): string {
    const nonce = randomBytes(NONCE_SIZE);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(owner));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]).toString('base64url');
  }

  open(sealed: string, owner: string): string {
    if (!isSealed(sealed)) throw new SealedSecretError('not a sealed secret');
    const bytes = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
    if (bytes.length < NONCE_SIZE + TAG_SIZE) throw new SealedSecretError('a sealed secret too short');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, NONCE_SIZE));
    decipher.setAAD(Buffer.from(owner));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_SIZE));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(NONCE_SIZE, bytes.length - TAG_SIZE)), decipher.final()]).toString('utf8');
    } catch {
      throw new SealedSecretError('the sealed secret failed authentication');
    }
  }
}

/**
 * Whether a stored value was sealed. Rows written before secrets were encrypted hold the secret
 * itself, which no one would have begun with this prefix.
 */
export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}
