import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { AuditTrail } from '../audit/trail.js';
import type { Actor } from '../auth/principal.js';
import { unknownTenant } from '../auth/api-keys.js';
import { REQUEST_TYPES, type RequestType } from '../requests/lifecycle.js';
import { tenantApproval, tenants } from './tables.js';
import type { ApprovalSettings } from './schemas.js';

/** Deletions cannot be undone: an agent reviews them unless the tenant chooses otherwise. */
export const DEFAULT_APPROVAL: ApprovalSettings = { access: 'auto', export: 'auto', deletion: 'review' };

/** Per tenant and request type: run at once, or wait for an agent's approval. */
export class ApprovalService {
  constructor(private readonly db: Db) {}

  async get(tenantId: string): Promise<ApprovalSettings> {
    const rows = await this.db.select().from(tenantApproval).where(eq(tenantApproval.tenantId, tenantId));
    const settings = { ...DEFAULT_APPROVAL };
    for (const row of rows) settings[row.requestType] = row.mode;
    return settings;
  }

  async reviews(tenantId: string, type: RequestType): Promise<boolean> {
    return (await this.get(tenantId))[type] === 'review';
  }

  async put(tenantId: string, settings: ApprovalSettings, actor: Actor): Promise<ApprovalSettings> {
    await this.db.transaction(async (tx) => {
      const [tenant] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId));
      if (!tenant) throw unknownTenant(tenantId);
      const updatedAt = new Date();
      for (const requestType of REQUEST_TYPES) {
        const mode = settings[requestType];
        await tx
          .insert(tenantApproval)
          .values({ tenantId, requestType, mode, updatedAt })
          .onConflictDoUpdate({ target: [tenantApproval.tenantId, tenantApproval.requestType], set: { mode, updatedAt } });
      }
      await new AuditTrail(tx).record({ tenantId, kind: 'approval_changed', actor, detail: { ...settings } });
    });
    return this.get(tenantId);
  }
}
