import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { tenants } from './tables.js';
import type { Regime } from '../requests/deadlines.js';
import type { FeatureId } from '../catalogue/schema.js';
import type { ApprovalSettings } from './schemas.js';
import { ExpiringCache } from '../cache.js';

/** What taking a request reads of its tenant (TenantService.intake). */
export interface Intake {
  /** The features it uses. */
  features: FeatureId[];
  /** The regime a request answers under unless it names one. */
  defaultRegime: Regime;
  /** Which request types, and whether results, an agent reviews. */
  approval: ApprovalSettings;
  /** The notice in force, which answers a request whenever and however often its result is built. */
  noticeVersion: number | null;
}

/** Tenants whose intake one process remembers at most. */
const CACHED_TENANTS = 1_000;

export interface IntakeOptions {
  /** The tenant's approval settings and its current notice version, as their services read them. */
  approval(tenantId: string): Promise<ApprovalSettings>;
  noticeVersion(tenantId: string): Promise<number | null>;
  /** How long a tenant's intake is used without reading it again (TENANT_CACHE_MS); 0: every request reads it. */
  cacheMs: number;
  now?: () => number;
}

export class TenantService {
  /**
   * Every POST reads its tenant's settings, which change seldom: remembered for `cacheMs`. A change
   * made through this process (approval, features, notice) is seen at once (changed()); one made by
   * another process within `cacheMs`, as with API keys (AUTH_CACHE_MS).
   */
  private readonly intakes: ExpiringCache<string, Intake>;

  constructor(
    private readonly db: Db,
    private readonly options: IntakeOptions,
  ) {
    this.intakes = new ExpiringCache({ ttlMs: options.cacheMs, size: CACHED_TENANTS, now: options.now });
  }

  async ids(): Promise<string[]> {
    return (await this.db.select({ id: tenants.id }).from(tenants)).map((t) => t.id);
  }

  /** What taking a request reads of its tenant; undefined for an unknown tenant. */
  async intake(tenantId: string): Promise<Intake | undefined> {
    return this.intakes.get(tenantId, () => this.readIntake(tenantId));
  }

  /** Called once a change to a tenant's intake has committed: the next request reads it again. */
  changed(tenantId: string): void {
    this.intakes.forget(tenantId);
  }

  private async readIntake(tenantId: string): Promise<Intake | undefined> {
    const [[row], approval, noticeVersion] = await Promise.all([
      this.db.select({ features: tenants.features, defaultRegime: tenants.defaultRegime }).from(tenants).where(eq(tenants.id, tenantId)),
      this.options.approval(tenantId),
      this.options.noticeVersion(tenantId),
    ]);
    return row && { features: row.features as FeatureId[], defaultRegime: row.defaultRegime, approval, noticeVersion };
  }
}
