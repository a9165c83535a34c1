import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { tenants } from '../tenants/tables.js';
import { apiKeys } from './tables.js';
import { AppError } from '../errors.js';
import type { Principal } from './principal.js';

/**
 * API keys: `dsar_` + 32 random bytes (base64url). Only a SHA-256 of the key is stored;
 * the key is shown once when minted. Keys are high-entropy, so a plain hash is enough
 * (a slow password hash protects low-entropy secrets, which these are not).
 */

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function newKey(): string {
  return 'dsar_' + randomBytes(32).toString('base64url');
}

export const unknownTenant = (tenantId: string) =>
  new AppError(404, 'unknown-tenant', 'Unknown tenant', `No tenant with id "${tenantId}"`);

export class ApiKeyService {
  constructor(private readonly db: Db) {}

  /** Mints a key for a tenant, or registers a given one (the demo's DEMO_API_KEY). Returns it once. */
  async create(tenantId: string, name: string, key: string = newKey()): Promise<string> {
    const [tenant] = await this.db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId));
    if (!tenant) throw unknownTenant(tenantId);
    if (key.length < 20) throw new AppError(400, 'weak-key', 'Key too short', 'An API key needs at least 20 characters');
    await this.db
      .insert(apiKeys)
      .values({ tenantId, name, prefix: key.slice(0, 9), hash: hashKey(key) })
      .onConflictDoNothing({ target: apiKeys.hash });
    return key;
  }

  /** The id of a key, to record who downloaded. */
  async idOf(key: string): Promise<string | undefined> {
    const [row] = await this.db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.hash, hashKey(key)));
    return row?.id;
  }

  /** The principal a key stands for, or undefined for an unknown or revoked key. */
  async principalOf(key: string): Promise<Principal | undefined> {
    const [row] = await this.db
      .select({ tenantId: apiKeys.tenantId, keyId: apiKeys.id, keyName: apiKeys.name })
      .from(apiKeys)
      .where(and(eq(apiKeys.hash, hashKey(key)), isNull(apiKeys.revokedAt)));
    // Every key is an admin's until keys carry a role.
    return row && { kind: 'api_key', role: 'admin', ...row };
  }
}
