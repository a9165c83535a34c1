import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { tenants } from './tables.js';
import type { FeatureId } from '../catalogue/schema.js';

export class TenantService {
  constructor(private readonly db: Db) {}

  async ids(): Promise<string[]> {
    return (await this.db.select({ id: tenants.id }).from(tenants)).map((t) => t.id);
  }

  /** Features the tenant uses, or undefined for an unknown tenant. */
  async features(tenantId: string): Promise<FeatureId[] | undefined> {
    const [row] = await this.db.select({ features: tenants.features }).from(tenants).where(eq(tenants.id, tenantId));
    return row?.features as FeatureId[] | undefined;
  }
}
