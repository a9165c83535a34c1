import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Seals a receipt (of a deletion, of a correction) so anyone holding the service's public key can check it was issued by the
 * service and not changed since:
 *
 *   digest    = hex SHA-256 of the canonical JSON of the body (the receipt without `digest` and `signature`);
 *   signature = Ed25519 over the 32 digest bytes, base64, with the key's id.
 *
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, strings and numbers as
 * JSON.stringify writes them, UTF-8. For receipt data (strings, integers, booleans, null) this is
 * exactly RFC 8785 (JCS), so auditors can recompute it with any JCS library.
 */

const SIGNATURE_ALGORITHM = 'Ed25519';

/** What sealing adds to a receipt's body. */
export interface Seal {
  digest: string;
  signature: { algorithm: typeof SIGNATURE_ALGORITHM; keyId: string; value: string } | null;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    // Undefined members are left out, as JSON.stringify does, so a parsed copy digests the same.
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, v]) => `${JSON.stringify(key)}:${canonicalJson(v)}`).join(',')}}`;
  }
  if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
    return JSON.stringify(value);
  }
  if (value === null) return 'null';
  throw new TypeError(`cannot canonicalize a ${typeof value} value`);
}

export function receiptDigest(body: object): string {
  return createHash('sha256').update(canonicalJson(body), 'utf8').digest('hex');
}

export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** The receipt with its digest, signed when a key is given. */
export function signReceipt<B extends object>(body: B, privateKey: KeyObject | undefined): B & Seal {
  const digest = receiptDigest(body);
  if (!privateKey) return { ...body, digest, signature: null };
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the receipt signing key must be an Ed25519 private key');
  const value = sign(null, Buffer.from(digest, 'hex'), privateKey).toString('base64');
  return { ...body, digest, signature: { algorithm: SIGNATURE_ALGORITHM, keyId: keyIdOf(privateKey), value } };
}

/**
 * True only when the body matches the digest and the digest carries a valid signature by `publicKey`
 * (a KeyObject or PEM). An unsigned or malformed receipt does not verify.
 */
export function verifyReceipt(receipt: Seal, publicKey: KeyObject | string): boolean {
  const { digest, signature, ...body } = receipt;
  try {
    const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
    if (!signature || signature.algorithm !== SIGNATURE_ALGORITHM || signature.keyId !== keyIdOf(key)) return false;
    if (receiptDigest(body) !== digest) return false;
    return verify(null, Buffer.from(digest, 'hex'), key, Buffer.from(signature.value, 'base64'));
  } catch {
    // A receipt that cannot even be read (odd values, a key of the wrong kind) is not a valid one.
    return false;
  }
}
