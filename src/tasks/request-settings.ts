import type { ResolvedAdapter } from '../features/adapter-resolver.js';
import type { TenantPolicy } from '../tenants/schemas.js';

/** What every feature task of a request reads of its tenant. */
export interface TaskSettings {
  policy: Promise<TenantPolicy>;
  adapter(feature: string): Promise<ResolvedAdapter>;
  /** Settles when every read has: rejected if one failed. */
  read: Promise<void>;
}

/** How long a request's settings serve its tasks: they run within moments of each other; a retry after its backoff reads again. */
const KEEP_MS = 10_000;

/**
 * The tenant's settings as the feature tasks of one request use them, read once for all of them rather
 * than twice per task (38 reads for a 19-feature request). A read that failed is not kept: the next task reads again.
 */
export class RequestSettings {
  private readonly kept = new Map<string, { until: number; settings: TaskSettings }>();

  constructor(
    private readonly load: (tenantId: string) => TaskSettings,
    private readonly keepMs = KEEP_MS,
  ) {}

  of(requestId: string, tenantId: string): TaskSettings {
    const now = Date.now();
    // Kept in the order they were read: the expired ones come first.
    for (const [id, entry] of this.kept) {
      if (entry.until > now) break;
      this.kept.delete(id);
    }
    const kept = this.kept.get(requestId);
    if (kept) return kept.settings;
    const settings = this.load(tenantId);
    const entry = { until: now + this.keepMs, settings };
    this.kept.set(requestId, entry);
    settings.read.catch(() => {
      if (this.kept.get(requestId) === entry) this.kept.delete(requestId);
    });
    return settings;
  }
}
