import { and, eq, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { idempotencyKeys } from './tables.js';

/** How long a key and its answer are kept. */
export const KEY_TTL_HOURS = 24;
/**
 * A first call that never finished (its process died mid-way) leaves its key in use; after this long
 * a retry may take the key over. Bodies have been read when the key is taken, so only the handler's
 * work (or an upload's bytes) falls into it.
 */
const ABANDONED_AFTER_MINUTES = 10;

export interface KeyScope {
  tenantId: string;
  caller: string;
  key: string;
}

export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  fingerprint: string | null;
}

/** A key this call holds; `claim` tells its claim from a later one's, should a retry take the key over. */
export interface HeldKey extends KeyScope {
  claim: string;
}

/** What taking a key found: it is ours now, another call holds it, or it was answered already. */
export type Claim = { kind: 'claimed'; held: HeldKey } | { kind: 'in-use' } | { kind: 'answered'; answer: StoredAnswer };

const where = (scope: KeyScope) =>
  and(eq(idempotencyKeys.tenantId, scope.tenantId), eq(idempotencyKeys.caller, scope.caller), eq(idempotencyKeys.key, scope.key));

const heldBy = (held: HeldKey) => and(where(held), eq(idempotencyKeys.claim, held.claim), isNull(idempotencyKeys.status));

export class IdempotencyStore {
  constructor(private readonly db: Db) {}

  /**
   * Takes the key for a first call, insert-first: of two concurrent calls exactly one inserts the row,
   * the other finds it. A key past its 24 hours (or left by a call that died) is taken afresh.
   */
  async claim(scope: KeyScope, fingerprint: string | null): Promise<Claim> {
    await this.db
      .delete(idempotencyKeys)
      .where(
        and(
          where(scope),
          or(
            lte(idempotencyKeys.expiresAt, sql`now()`),
            and(isNull(idempotencyKeys.status), lte(idempotencyKeys.createdAt, sql`now() - make_interval(mins => ${ABANDONED_AFTER_MINUTES})`)),
          ),
        ),
      );
    const inserted = await this.db
      .insert(idempotencyKeys)
      .values({ ...scope, fingerprint, expiresAt: sql`now() + make_interval(hours => ${KEY_TTL_HOURS})` })
      .onConflictDoNothing()
      .returning({ claim: idempotencyKeys.claim });
    if (inserted[0]) return { kind: 'claimed', held: { ...scope, claim: inserted[0].claim } };
    const [row] = await this.db.select().from(idempotencyKeys).where(where(scope));
    // Gone between the insert and the read (it just expired): as good as in use; the caller retries.
    if (!row || row.status === null) return { kind: 'in-use' };
    return { kind: 'answered', answer: { status: row.status, headers: row.headers ?? {}, body: row.body ?? '', fingerprint: row.fingerprint } };
  }

  /** Keeps the answer of the call that claimed the key (unless its claim was taken over meanwhile). */
  async answer(held: HeldKey, answer: StoredAnswer): Promise<void> {
    await this.db
      .update(idempotencyKeys)
      .set({ status: answer.status, headers: answer.headers, body: answer.body, fingerprint: answer.fingerprint })
      .where(heldBy(held));
  }

  /** Frees a key whose call kept no answer (a 5xx): a retry runs again. */
  async release(held: HeldKey): Promise<void> {
    await this.db.delete(idempotencyKeys).where(heldBy(held));
  }

  /** Deletes the keys past their 24 hours (the worker's hourly housekeeping). */
  async purgeExpired(): Promise<number> {
    const deleted = await this.db
      .delete(idempotencyKeys)
      .where(lte(idempotencyKeys.expiresAt, sql`now()`))
      .returning({ key: idempotencyKeys.key });
    return deleted.length;
  }
}
