import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { tenants } from './tables.js';
import type { Regime } from '../requests/deadlines.js';
import type { FeatureId } from '../catalogue/schema.js';

export class TenantService {
  constructor(private readonly db: Db) {}

  async ids(): Promise<string[]> {
    return (await this.db.select({ id: tenants.id }).from(tenants)).map((t) => t.id);
  }

  /**
   * What taking a request reads of its tenant, in one query: the features it uses, and the regime a request
   * answers under unless it names one. Undefined for an unknown tenant.
   */
  async intake(tenantId: string): Promise<{ features: FeatureId[]; defaultRegime: Regime } | undefined> {
    const [row] = await this.db.select({ features: tenants.features, defaultRegime: tenants.defaultRegime }).from(tenants).where(eq(tenants.id, tenantId));
    return row && { features: row.features as FeatureId[], defaultRegime: row.defaultRegime };
  }
}
