import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Request (and optional response) signatures of the feature connector contract
 * (openapi/feature-connector.yaml). Only node:crypto, so a feature service written in Node
 * can import this file as it is to verify what the connector sends and sign what it answers.
 *
 *   X-DSAR-Timestamp: <unix seconds>
 *   X-DSAR-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<METHOD>.<path>.<hex SHA-256 of body>")>
 *
 * `path` is the request target as sent on the request line: path and query, still percent-encoded,
 * including any base path (`/approval/dsar/v1/access`). A response is signed with the method and
 * path of the request it answers.
 */

export const TIMESTAMP_HEADER = 'x-dsar-timestamp';
export const SIGNATURE_HEADER = 'x-dsar-signature';
/** Older (or further in the future) timestamps are refused, so a captured request cannot be replayed later. */
const MAX_AGE_SECONDS = 300;

const VERSION = 'v1=';
const HEX_SHA256 = /^[0-9a-f]{64}$/;

export interface SignedMessage {
  method: string;
  path: string;
  /** The body, or its SHA-256 (hex) when it was streamed; an empty body for GET. */
  body: string | Uint8Array | { sha256: string };
}

type SignatureHeaders = Record<typeof TIMESTAMP_HEADER | typeof SIGNATURE_HEADER, string>;

type Verification = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'mismatch' };

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function bodyHash(body: SignedMessage['body']): string {
  return typeof body === 'string' || body instanceof Uint8Array ? sha256Hex(body) : body.sha256;
}

function mac(secret: string, timestamp: string, message: SignedMessage): Buffer {
  const base = `${timestamp}.${message.method.toUpperCase()}.${message.path}.${bodyHash(message.body)}`;
  return createHmac('sha256', secret).update(base).digest();
}

/** The two headers to send with `message`. */
export function sign(secret: string, message: SignedMessage, now = Date.now()): SignatureHeaders {
  const timestamp = String(Math.floor(now / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: VERSION + mac(secret, timestamp, message).toString('hex') };
}

/** Checks the headers received with `message`; header values as they came (missing ones as undefined or null). */
export function verify(
  secret: string,
  message: SignedMessage,
  headers: { timestamp?: string | null; signature?: string | null },
  now = Date.now(),
): Verification {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return { ok: false, reason: 'missing' };
  const hex = signature.startsWith(VERSION) ? signature.slice(VERSION.length) : '';
  if (!/^\d{1,12}$/.test(timestamp) || !HEX_SHA256.test(hex)) return { ok: false, reason: 'malformed' };
  if (Math.abs(now / 1000 - Number(timestamp)) > MAX_AGE_SECONDS) return { ok: false, reason: 'expired' };
  // Both sides are 32 bytes here, so timingSafeEqual never throws and leaks no length.
  const same = timingSafeEqual(mac(secret, timestamp, message), Buffer.from(hex, 'hex'));
  return same ? { ok: true } : { ok: false, reason: 'mismatch' };
}
