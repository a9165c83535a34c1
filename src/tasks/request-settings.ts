import type { ResolvedAdapter } from '../features/adapter-resolver.js';
import type { TenantPolicy } from '../tenants/schemas.js';
import type { RequestRow } from '../requests/tables.js';

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
  /** The request's row as its tasks read it, and its move to processing: shared while on their way only. */
  readonly reads = new InFlight<RequestRow | undefined>();
  readonly starts = new InFlight<RequestRow | undefined>();

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

/**
 * What the tasks of a request ask of Postgres while one of them already asked: they start within
 * moments of each other, and at concurrency 20 most of a request's 19 read its row (and half of them
 * tried to move it to processing) before the first answer came. A task that joins a read sent before
 * it started gets what it could have read itself: every move it makes next is a conditional UPDATE.
 * Nothing is kept once it settles, so a later task (a retry, the request run again) asks anew.
 */
export class InFlight<T> {
  private readonly pending = new Map<string, Promise<T>>();

  of(key: string, ask: () => Promise<T>): Promise<T> {
    let asked = this.pending.get(key);
    if (!asked) {
      asked = ask().finally(() => this.pending.delete(key));
      this.pending.set(key, asked);
    }
    return asked;
  }
}
