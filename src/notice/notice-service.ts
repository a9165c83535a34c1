import { and, desc, eq } from 'drizzle-orm';
import Value from 'typebox/value';
import type { Db } from '../db/client.js';
import type { Catalogue } from '../catalogue/schema.js';
import { AuditTrail } from '../audit/trail.js';
import type { Actor } from '../auth/principal.js';
import { unknownTenant } from '../auth/api-keys.js';
import { badRequest, type FieldError } from '../errors.js';
import { tenants } from '../tenants/tables.js';
import type { TenantService } from '../tenants/tenant-service.js';
import { tenantNotices } from './tables.js';
import { NOTICE_PARTS, TenantNotice, type NoticePart, type TenantNoticeView } from './schemas.js';

/** A tenant's notice as of one version: what a result built for a request of that version says. */
export interface NoticeVersion {
  version: number;
  notice: TenantNotice;
  createdAt: Date;
}

/** The rules of the tenant's notice: versions only added, checked against the catalogue, read back validated. */
export class NoticeService {
  constructor(
    private readonly db: Db,
    private readonly catalogue: Catalogue,
    /** Told of a new version once it has committed (a request reads the current one through it). */
    private readonly tenants: Pick<TenantService, 'changed'>,
  ) {}

  async get(tenantId: string): Promise<TenantNoticeView> {
    const [row] = await this.db.select().from(tenantNotices).where(eq(tenantNotices.tenantId, tenantId)).orderBy(desc(tenantNotices.version)).limit(1);
    const current = row ? toVersion(row) : undefined;
    const notice = current?.notice ?? {};
    return {
      version: current?.version ?? null,
      updatedAt: current?.createdAt.toISOString() ?? null,
      notice,
      missing: missingParts(notice, this.catalogue),
    };
  }

  /** The version a request made now records; null while the tenant has none. */
  async currentVersion(tenantId: string): Promise<number | null> {
    const [row] = await this.db
      .select({ version: tenantNotices.version })
      .from(tenantNotices)
      .where(eq(tenantNotices.tenantId, tenantId))
      .orderBy(desc(tenantNotices.version))
      .limit(1);
    return row?.version ?? null;
  }

  /** The notice a request recorded (its `noticeVersion`); undefined for none. */
  async version(tenantId: string, version: number | null): Promise<NoticeVersion | undefined> {
    if (version === null) return undefined;
    const [row] = await this.db
      .select()
      .from(tenantNotices)
      .where(and(eq(tenantNotices.tenantId, tenantId), eq(tenantNotices.version, version)));
    if (!row) throw new Error(`notice version ${version} of the request's tenant is gone`);
    return toVersion(row);
  }

  /** Replaces the notice by a new version; requests made before keep theirs. */
  async put(tenantId: string, notice: TenantNotice, actor: Actor): Promise<TenantNoticeView> {
    const problems = referenceProblems(notice, this.catalogue);
    if (problems.length > 0) throw badRequest('The notice names recipients that do not exist or twice', problems);
    await this.db.transaction(async (tx) => {
      // The tenant's row, locked: two puts at once get consecutive versions.
      const [tenant] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).for('update');
      if (!tenant) throw unknownTenant(tenantId);
      const [last] = await tx
        .select({ version: tenantNotices.version })
        .from(tenantNotices)
        .where(eq(tenantNotices.tenantId, tenantId))
        .orderBy(desc(tenantNotices.version))
        .limit(1);
      const version = (last?.version ?? 0) + 1;
      await tx.insert(tenantNotices).values({ tenantId, version, notice });
      await new AuditTrail(tx).record({ tenantId, kind: 'notice_changed', actor, detail: { version, missing: missingParts(notice, this.catalogue) } });
    });
    this.tenants.changed(tenantId);
    return this.get(tenantId);
  }
}

function toVersion(row: typeof tenantNotices.$inferSelect): NoticeVersion {
  // Read back from storage: checked, never cast.
  if (!Value.Check(TenantNotice, row.notice)) throw new Error(`notice version ${row.version} is malformed`);
  return { version: row.version, notice: row.notice, createdAt: row.createdAt };
}

/** Required parts the tenant has not filled in. Retention counts as filled when every feature the statement is silent on has criteria. */
export function missingParts(notice: TenantNotice, catalogue: Catalogue): NoticePart[] {
  return NOTICE_PARTS.filter((part) => {
    if (part !== 'retention') return notice[part] === undefined;
    return catalogue.features.some((f) => f.retention.kind === 'not_stated' && retentionCriteria(notice, f.id) === undefined);
  });
}

/** The tenant's retention criteria for a feature: its own, or the default. */
export function retentionCriteria(notice: TenantNotice | undefined, feature: string): string | undefined {
  return notice?.retention?.features?.find((f) => f.feature === feature)?.criteria ?? notice?.retention?.default;
}

/** What TypeBox cannot check: ids unique, transfers naming a recipient that exists, one criteria per feature. */
function referenceProblems(notice: TenantNotice, catalogue: Catalogue): FieldError[] {
  const problems: FieldError[] = [];
  const statementIds = new Set(catalogue.features.flatMap((f) => f.recipients.map((r) => r.id)));
  const own = new Set<string>();
  (notice.recipients ?? []).forEach((r, i) => {
    if (statementIds.has(r.id)) problems.push({ field: `/recipients/${i}/id`, message: `is a recipient of the privacy statement already: choose another id` });
    else if (own.has(r.id)) problems.push({ field: `/recipients/${i}/id`, message: 'is used twice' });
    own.add(r.id);
  });
  (notice.transfers ?? []).forEach((t, i) => {
    if (!statementIds.has(t.recipient) && !own.has(t.recipient)) problems.push({ field: `/transfers/${i}/recipient`, message: 'names no recipient of the statement or of this notice' });
  });
  const seen = new Set<string>();
  (notice.retention?.features ?? []).forEach((r, i) => {
    if (seen.has(r.feature)) problems.push({ field: `/retention/features/${i}/feature`, message: 'is given twice' });
    seen.add(r.feature);
  });
  return problems;
}
