import type { Logger } from 'pino';
import type { Sql } from '../db/client.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { FeatureAdapter } from '../features/adapter.js';

/**
 * Storage limitation: data kept past a deletion for a legal obligation is erased when its period
 * ends. Runs as a repeatable job; each adapter that retains anything purges what has expired.
 */
export interface PurgeDeps {
  tenantIds(): Promise<string[]>;
  adapters: ReadonlyMap<string, FeatureAdapter>;
  featureSql(feature: string): Sql;
  featureBlobs: BlobStore;
  log: Logger;
}

export async function purgeExpiredRetention(deps: PurgeDeps, now = new Date()): Promise<number> {
  const tenantIds = await deps.tenantIds();
  let purged = 0;
  for (const adapter of deps.adapters.values()) {
    if (!adapter.purgeExpired) continue;
    const ctx = { sql: deps.featureSql(adapter.feature), blobs: deps.featureBlobs, log: deps.log };
    for (const tenantId of tenantIds) purged += await adapter.purgeExpired(tenantId, ctx, now);
  }
  deps.log.info({ purged }, 'retention purge done');
  return purged;
}
