import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { tenantFeatureSettings, tenants } from './tables.js';

type TenantFeatureSettingRow = typeof tenantFeatureSettings.$inferSelect;
import type { Catalogue, FeatureId } from '../catalogue/schema.js';
import { badRequest } from '../errors.js';
import { unknownTenant } from '../auth/api-keys.js';
import { AuditTrail } from '../audit/trail.js';
import type { Actor } from '../auth/principal.js';
import type { AdapterKind, FeatureSetting, PutFeatureSetting, TenantPolicy } from './schemas.js';
import { isSealed, type SecretSealer } from '../connectors/secret-sealing.js';
import type { OutboundGuard } from '../outbound/guard.js';
import type { TenantService } from './tenant-service.js';

/** How a feature is answered for one tenant, with what the task runner needs to build its adapter. */
export interface ResolvedSetting {
  adapter: AdapterKind;
  connector?: { baseUrl: string; secret: string };
}

/** The tenant's settings as the tasks of one request read them (FeatureSettingsService.forTasks). */
export interface TenantTaskSettings {
  policy: Promise<TenantPolicy>;
  resolve(feature: string): Promise<ResolvedSetting>;
  /** Settles when both reads have: rejected if either failed. */
  read: Promise<void>;
}

/**
 * Per-tenant configuration: which catalogue features a tenant uses and how each is answered.
 * Stored in Postgres; features without a row use their built-in adapter (or manual if there is none).
 */
export class FeatureSettingsService {
  constructor(
    private readonly db: Db,
    private readonly catalogue: Catalogue,
    private readonly hasBuiltIn: (feature: string) => boolean,
    /** Connector secrets are stored sealed (encrypted), never as they are. */
    private readonly secrets: SecretSealer,
    /** A connector's address must be one the service may call. */
    private readonly outbound: Pick<OutboundGuard, 'admit'>,
    /** Told of a change of the features used once it has committed (a request reads them through it). */
    private readonly tenants: Pick<TenantService, 'changed'>,
  ) {}

  async list(tenantId: string): Promise<FeatureSetting[]> {
    const [tenant] = await this.db.select().from(tenants).where(eq(tenants.id, tenantId));
    if (!tenant) throw unknownTenant(tenantId);
    const rows = await this.db.select().from(tenantFeatureSettings).where(eq(tenantFeatureSettings.tenantId, tenantId));
    return this.catalogue.features.map((f) => {
      const row = rows.find((r) => r.feature === f.id);
      return {
        feature: f.id,
        enabled: tenant.features.includes(f.id),
        adapter: row?.adapter ?? this.defaultAdapter(f.id),
        builtInAvailable: this.hasBuiltIn(f.id),
        ...(row?.connectorUrl ? { connector: { baseUrl: row.connectorUrl } } : {}),
      };
    });
  }

  async put(tenantId: string, feature: FeatureId, body: PutFeatureSetting, actor: Actor): Promise<FeatureSetting> {
    if (body.adapter === 'http' && !body.connector) {
      throw badRequest('The http adapter needs a connector', [{ field: '/connector', message: 'required when adapter is http' }]);
    }
    if (body.adapter === 'http') await this.outbound.admit(body.connector!.baseUrl, '/connector/baseUrl');
    if (body.adapter === 'built_in' && !this.hasBuiltIn(feature)) {
      throw badRequest(`"${feature}" has no built-in adapter`, [{ field: '/adapter', message: 'no built-in adapter for this feature' }]);
    }
    await this.db.transaction(async (tx) => {
      const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).for('update');
      if (!tenant) throw unknownTenant(tenantId);
      const others = tenant.features.filter((f) => f !== feature);
      const features = body.enabled ? this.inCatalogueOrder([...others, feature]) : others;
      await tx.update(tenants).set({ features }).where(eq(tenants.id, tenantId));
      const values = {
        adapter: body.adapter,
        connectorUrl: body.adapter === 'http' ? body.connector!.baseUrl : null,
        connectorSecret: body.adapter === 'http' ? this.secrets.seal(body.connector!.secret, secretOwner(tenantId, feature)) : null,
        updatedAt: new Date(),
      };
      await tx
        .insert(tenantFeatureSettings)
        .values({ tenantId, feature, ...values })
        .onConflictDoUpdate({ target: [tenantFeatureSettings.tenantId, tenantFeatureSettings.feature], set: values });
      // The connector's address and secret stay out of the trail: only what changed in kind.
      const detail = { enabled: body.enabled, adapter: body.adapter };
      await new AuditTrail(tx).record({ tenantId, kind: 'feature_setting_changed', feature, actor, detail });
    });
    this.tenants.changed(tenantId);
    const setting = (await this.list(tenantId)).find((s) => s.feature === feature);
    return setting!;
  }

  /** What the task runner needs: the adapter kind and, for http, where and with which secret. */
  async resolve(tenantId: string, feature: string): Promise<ResolvedSetting> {
    const [row] = await this.db
      .select()
      .from(tenantFeatureSettings)
      .where(and(eq(tenantFeatureSettings.tenantId, tenantId), eq(tenantFeatureSettings.feature, feature)));
    return this.settingOf(tenantId, feature, row);
  }

  /**
   * What the tasks of one request need, each read once for all of them (both reads start now): the
   * tenant's policy, and how each feature is answered. A failed read fails whoever awaits it.
   */
  forTasks(tenantId: string): TenantTaskSettings {
    const policy = this.policy(tenantId);
    const rows = this.db.select().from(tenantFeatureSettings).where(eq(tenantFeatureSettings.tenantId, tenantId)).execute();
    return {
      policy,
      resolve: async (feature) => this.settingOf(tenantId, feature, (await rows).find((r) => r.feature === feature)),
      read: Promise.all([policy, rows]).then(() => undefined),
    };
  }

  private async settingOf(tenantId: string, feature: string, row: TenantFeatureSettingRow | undefined): Promise<ResolvedSetting> {
    if (!row) return { adapter: this.defaultAdapter(feature) };
    if (row.adapter === 'http' && row.connectorUrl && row.connectorSecret) {
      return { adapter: 'http', connector: { baseUrl: row.connectorUrl, secret: await this.secretOf(tenantId, feature, row.connectorSecret) } };
    }
    return { adapter: row.adapter === 'http' ? 'manual' : row.adapter };
  }

  /**
   * The connector secret of a row. One stored before secrets were encrypted is sealed now, in place
   * (unless the row changed meanwhile): SQL cannot encrypt it in a migration, as the key is only the
   * application's, so such a row is sealed the first time a task uses it, or when it is next written.
   */
  private async secretOf(tenantId: string, feature: string, stored: string): Promise<string> {
    const owner = secretOwner(tenantId, feature);
    if (isSealed(stored)) return this.secrets.open(stored, owner);
    await this.db
      .update(tenantFeatureSettings)
      .set({ connectorSecret: this.secrets.seal(stored, owner) })
      .where(
        and(
          eq(tenantFeatureSettings.tenantId, tenantId),
          eq(tenantFeatureSettings.feature, feature),
          eq(tenantFeatureSettings.connectorSecret, stored),
        ),
      );
    return stored;
  }

  /** The tenant's policy on other people's data in shared spaces. */
  async policy(tenantId: string): Promise<TenantPolicy> {
    const [row] = await this.db.select({ sharedData: tenants.sharedDataPolicy }).from(tenants).where(eq(tenants.id, tenantId));
    if (!row) throw unknownTenant(tenantId);
    return { sharedData: row.sharedData };
  }

  async putPolicy(tenantId: string, policy: TenantPolicy, actor: Actor): Promise<TenantPolicy> {
    await this.db.transaction(async (tx) => {
      const rows = await tx
        .update(tenants)
        .set({ sharedDataPolicy: policy.sharedData })
        .where(eq(tenants.id, tenantId))
        .returning({ id: tenants.id });
      if (rows.length === 0) throw unknownTenant(tenantId);
      await new AuditTrail(tx).record({ tenantId, kind: 'policy_changed', actor, detail: { ...policy } });
    });
    return this.policy(tenantId);
  }

  private defaultAdapter(feature: string): AdapterKind {
    return this.hasBuiltIn(feature) ? 'built_in' : 'manual';
  }

  private inCatalogueOrder(features: string[]): string[] {
    return this.catalogue.features.map((f) => f.id as string).filter((id) => features.includes(id));
  }
}

/** The row a sealed secret belongs to: it opens only there. */
function secretOwner(tenantId: string, feature: string): string {
  return JSON.stringify([tenantId, feature]);
}
