import type { FeatureAdapter } from './adapter.js';
import type { FeatureSettingsService, ResolvedSetting } from '../tenants/feature-settings.js';
import { httpConnectorAdapter } from '../connectors/http-connector.js';
import type { FeatureId } from '../catalogue/schema.js';
import type { OutboundGuard } from '../outbound/guard.js';

export type ResolvedAdapter =
  | { kind: 'built_in' | 'http'; adapter: FeatureAdapter }
  | { kind: 'manual' }
  | { kind: 'none' };

export interface ConnectorDefaults {
  timeoutMs: number;
  retries: number;
  outbound: OutboundGuard;
}

/** Which adapter answers a feature for a tenant: its built-in one, its HTTP connector, or a person. */
export class AdapterResolver {
  constructor(
    private readonly settings: FeatureSettingsService,
    private readonly builtIns: ReadonlyMap<string, FeatureAdapter>,
    private readonly connector: ConnectorDefaults,
  ) {}

  async resolve(tenantId: string, feature: string): Promise<ResolvedAdapter> {
    return this.adapterOf(feature, await this.settings.resolve(tenantId, feature));
  }

  /** The adapter a setting names for a feature (a setting read with the others, FeatureSettingsService.forTasks). */
  adapterOf(feature: string, setting: ResolvedSetting): ResolvedAdapter {
    if (setting.adapter === 'manual') return { kind: 'manual' };
    if (setting.adapter === 'http' && setting.connector) {
      const adapter = httpConnectorAdapter(feature as FeatureId, { ...setting.connector, ...this.connector });
      return { kind: 'http', adapter };
    }
    const builtIn = this.builtIns.get(feature);
    return builtIn ? { kind: 'built_in', adapter: builtIn } : { kind: 'none' };
  }
}
