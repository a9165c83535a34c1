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

  /** The regime a request of the tenant answers under unless it names one; undefined for an unknown tenant. */
  async defaultRegime(tenantId: string): Promise<Regime | undefined> {
    const [row] = await this.db.select({ regime: tenants.defaultRegime }).from(tenants).where(eq(tenants.id, tenantId));
    return row?.regime;
  }

  /** Features the tenant uses, or undefined for an unknown tenant. */
  async features(tenantId: string): Promise<FeatureId[] | undefined> {
    const [row] = await this.db.select({ features: tenants.features }).from(tenants).where(eq(tenants.id, tenantId));
    return row?.features as FeatureId[] | undefined;
  }
}
