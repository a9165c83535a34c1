import { hash, randomBytes } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { tenants } from '../tenants/tables.js';
import { apiKeys } from './tables.js';
import { AppError, notFound } from '../errors.js';
import { SYSTEM_ACTOR, type Actor, type KeyRole, type Principal } from './principal.js';
import { AuditTrail } from '../audit/trail.js';
import type { ApiKeyList, ApiKeyView, CreatedApiKey } from './schemas.js';
import { ExpiringCache } from '../cache.js';

/**
 * API keys: `dsar_` + 32 random bytes (base64url). Only a SHA-256 of the key is stored;
 * the key is shown once when minted. Keys are high-entropy, so a plain hash is enough
 * (a slow password hash protects low-entropy secrets, which these are not).
 */

export const KEY_PREFIX = 'dsar_';

/** How often a key's last use is written: a listing shows the minute, not every call. */
const LAST_USED_PRECISION_MS = 60_000;

/** Every call hashes its key: the one-shot hash, without a Hash object a call. */
export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

export function newKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export const unknownTenant = (tenantId: string) =>
  new AppError(404, 'unknown-tenant', 'Unknown tenant', `No tenant with id "${tenantId}"`);

type KeyRow = typeof apiKeys.$inferSelect;
type KeyPrincipal = Extract<Principal, { kind: 'api_key' }>;

/** Keys whose principal one process remembers at most; the least recently used is forgotten first. */
const CACHED_KEYS = 10_000;

export interface KeyCacheOptions {
  /** How long a key's principal is used without asking Postgres again (AUTH_CACHE_MS); 0: every call asks. */
  cacheMs: number;
  now?: () => number;
}

export class ApiKeyService {
  /** When this process last wrote each key's last use. */
  private readonly lastWritten = new Map<string, number>();
  /**
   * Known live keys by their hash: each call would otherwise hash, query and wait on Postgres. A
   * revocation in this process drops the key at once; one in another process is seen here within
   * `cacheMs` (the bound the README documents). Unknown keys are not remembered, so a new key works at
   * once and guessed keys cannot fill the cache.
   */
  private readonly known: ExpiringCache<string, KeyPrincipal>;

  constructor(
    private readonly db: Db,
    options: KeyCacheOptions = { cacheMs: 0 },
  ) {
    this.known = new ExpiringCache({ ttlMs: options.cacheMs, size: CACHED_KEYS, now: options.now });
  }

  /** Mints a key for a tenant, or registers a given one (the demo's DEMO_API_KEY). Returns it once. */
  async create(tenantId: string, name: string, role: KeyRole = 'admin', key: string = newKey()): Promise<string> {
    await this.mint(tenantId, name, role, key, SYSTEM_ACTOR);
    return key;
  }

  /** An admin mints a key over REST: the key is in this answer and nowhere else. */
  async createView(tenantId: string, name: string, role: KeyRole, actor: Actor): Promise<CreatedApiKey> {
    const key = newKey();
    const row = await this.mint(tenantId, name, role, key, actor);
    if (!row) throw new Error('a freshly minted key collided with a stored one');
    return { ...view(row), key };
  }

  async list(tenantId: string): Promise<ApiKeyList> {
    const rows = await this.db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.tenantId, tenantId), isNull(apiKeys.revokedAt)))
      .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
    return { items: rows.map(view) };
  }

  /**
   * Revoked at once in this process: the next call with the key finds no live row. Other processes stop
   * taking it within their AUTH_CACHE_MS. Another tenant's key is not found.
   */
  async revoke(tenantId: string, id: string, actor: Actor): Promise<void> {
    const hash = await this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiKeys.id, id), eq(apiKeys.tenantId, tenantId), isNull(apiKeys.revokedAt)))
        .returning();
      if (!row) throw notFound('API key');
      await new AuditTrail(tx).record({ tenantId, kind: 'api_key_revoked', actor, detail: keyDetail(row) });
      return row.hash;
    });
    // After the commit: a look-up that read the key as live before it does not remember it.
    this.known.forget(hash);
  }

  /** The principal a key stands for, or undefined for an unknown or revoked key. */
  async principalOf(key: string): Promise<Principal | undefined> {
    const hash = hashKey(key);
    const principal = await this.known.get(hash, () => this.lookUp(hash));
    if (principal) await this.touch(principal.keyId);
    return principal;
  }

  private async lookUp(hash: string): Promise<KeyPrincipal | undefined> {
    const [row] = await this.db
      .select({ tenantId: apiKeys.tenantId, keyId: apiKeys.id, keyName: apiKeys.name, role: apiKeys.role })
      .from(apiKeys)
      .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)));
    return row && Object.freeze({ kind: 'api_key', ...row });
  }

  /** Writes the key and its event in one transaction; a key already stored (the demo's, at each start) is no new event. */
  private async mint(tenantId: string, name: string, role: KeyRole, key: string, actor: Actor): Promise<KeyRow | undefined> {
    const [tenant] = await this.db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId));
    if (!tenant) throw unknownTenant(tenantId);
    if (key.length < 20) throw new AppError(400, 'weak-key', 'Key too short', 'An API key needs at least 20 characters');
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(apiKeys)
        .values({ tenantId, name, role, prefix: key.slice(0, 9), hash: hashKey(key) })
        .onConflictDoNothing({ target: apiKeys.hash })
        .returning();
      if (row) await new AuditTrail(tx).record({ tenantId, kind: 'api_key_created', actor, detail: keyDetail(row) });
      return row;
    });
  }

  private async touch(keyId: string): Promise<void> {
    const now = Date.now();
    if (now - (this.lastWritten.get(keyId) ?? 0) < LAST_USED_PRECISION_MS) return;
    this.lastWritten.set(keyId, now);
    await this.db.update(apiKeys).set({ lastUsedAt: new Date(now) }).where(eq(apiKeys.id, keyId));
  }
}

/** What the trail says of a key: never the key or its hash. */
function keyDetail(row: KeyRow): Record<string, unknown> {
  return { id: row.id, name: row.name, role: row.role, prefix: row.prefix };
}

function view(row: KeyRow): ApiKeyView {
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    role: row.role,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt ? row.lastUsedAt.toISOString() : null,
  };
}
