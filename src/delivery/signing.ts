import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Download link tokens: base64url(link id (16 bytes) | HMAC-SHA256(key, "dsar-link-v1" | link id)),
 * 64 characters. The token carries nothing but the id; what the link opens, until when and how
 * often is looked up in download_links, so a link can be limited after it was handed out.
 */

const ID_SIZE = 16;
const MAC_SIZE = 32;
const CONTEXT = Buffer.from('dsar-link-v1', 'ascii');

export class LinkSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the link signing key must be at least 32 bytes');
  }

  sign(linkId: string): string {
    const id = Buffer.from(linkId.replaceAll('-', ''), 'hex');
    return Buffer.concat([id, this.mac(id)]).toString('base64url');
  }

  /** The link id of a genuine token, undefined for anything else. */
  verify(token: string): string | undefined {
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length !== ID_SIZE + MAC_SIZE || bytes.toString('base64url') !== token) return undefined;
    const id = bytes.subarray(0, ID_SIZE);
    if (!timingSafeEqual(bytes.subarray(ID_SIZE), this.mac(id))) return undefined;
    const hex = id.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  private mac(id: Buffer): Buffer {
    return createHmac('sha256', this.key).update(CONTEXT).update(id).digest();
  }
}
