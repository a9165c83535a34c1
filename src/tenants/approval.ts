import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { AuditTrail } from '../audit/trail.js';
import type { Actor } from '../auth/principal.js';
import { unknownTenant } from '../auth/api-keys.js';
import { APPROVAL_STEPS, tenantApproval, tenants } from './tables.js';
import type { ApprovalSettings } from './schemas.js';
import type { RequestType } from '../requests/lifecycle.js';
import type { TenantService } from './tenant-service.js';

/** Deletions cannot be undone: an agent reviews them unless the tenant chooses otherwise. Results are released as they are. */
export const DEFAULT_APPROVAL: ApprovalSettings = { access: 'auto', export: 'auto', deletion: 'review', release: 'auto' };

/**
 * Whether an agent approves a request of this type before it runs. A correction always: it changes
 * stored data on the subject's word, and the law asks the controller to judge whether the data is
 * inaccurate first (GDPR Art. 16, CCPA § 7023(b): "the totality of the circumstances", PIPL Art. 46).
 * Nothing changes before a person has looked, and no tenant setting can skip that.
 */
export function isReviewed(settings: ApprovalSettings, type: RequestType): boolean {
  return type === 'correction' || settings[type] === 'review';
}

/** Per tenant: each request type runs at once or waits for an agent's approval; results are released at once or after review. */
export class ApprovalService {
  constructor(
    private readonly db: Db,
    /** Told of a change once it has committed (a request reads the settings through it). */
    private readonly tenants: Pick<TenantService, 'changed'>,
  ) {}

  async get(tenantId: string): Promise<ApprovalSettings> {
    const rows = await this.db.select().from(tenantApproval).where(eq(tenantApproval.tenantId, tenantId));
    const settings = { ...DEFAULT_APPROVAL };
    for (const row of rows) settings[row.step] = row.mode;
    return settings;
  }

  async put(tenantId: string, settings: ApprovalSettings, actor: Actor): Promise<ApprovalSettings> {
    await this.db.transaction(async (tx) => {
      const [tenant] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId));
      if (!tenant) throw unknownTenant(tenantId);
      const updatedAt = new Date();
      for (const step of APPROVAL_STEPS) {
        const mode = settings[step];
        await tx
          .insert(tenantApproval)
          .values({ tenantId, step, mode, updatedAt })
          .onConflictDoUpdate({ target: [tenantApproval.tenantId, tenantApproval.step], set: { mode, updatedAt } });
      }
      await new AuditTrail(tx).record({ tenantId, kind: 'approval_changed', actor, detail: { ...settings } });
    });
    this.tenants.changed(tenantId);
    return this.get(tenantId);
  }
}
