import { and, asc, eq, gt, inArray, isNotNull, isNull, lt, or, sql as dsql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiKeys } from '../auth/tables.js';
import type { RequestStatus } from '../requests/lifecycle.js';
import { requests } from '../requests/tables.js';
import { hashKey } from '../auth/api-keys.js';
import { downloadLinks, downloads, resultParts, type DownloadLinkRow, type DownloadRow, type ResultPartRow } from './tables.js';

/** Statuses whose request may hold a result; its retention runs from completedAt. */
export const RESULT_STATUSES: readonly RequestStatus[] = ['completed', 'partially_completed', 'failed'];

/** Every query of delivery. The service decides; this only reads and writes. */
export class DeliveryRepository {
  constructor(private readonly db: Db) {}

  /** The id of a (valid) API key, to record who downloaded. */
  async apiKeyIdOf(key: string): Promise<string | undefined> {
    const [row] = await this.db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.hash, hashKey(key)));
    return row?.id;
  }

  async createLink(values: typeof downloadLinks.$inferInsert): Promise<DownloadLinkRow> {
    const [row] = await this.db.insert(downloadLinks).values(values).returning();
    if (!row) throw new Error('insert returned no row');
    return row;
  }

  async link(id: string): Promise<DownloadLinkRow | undefined> {
    const [row] = await this.db.select().from(downloadLinks).where(eq(downloadLinks.id, id));
    return row;
  }

  /** Counts one use of a link, in one statement so concurrent downloads cannot overrun the limit. */
  async useLink(id: string, now: Date): Promise<boolean> {
    const used = await this.db
      .update(downloadLinks)
      .set({ downloads: dsql`${downloadLinks.downloads} + 1` })
      .where(
        and(
          eq(downloadLinks.id, id),
          gt(downloadLinks.expiresAt, now),
          or(isNull(downloadLinks.maxDownloads), lt(downloadLinks.downloads, downloadLinks.maxDownloads)),
        ),
      )
      .returning({ id: downloadLinks.id });
    return used.length > 0;
  }

  async recordDownload(values: typeof downloads.$inferInsert): Promise<number> {
    const [row] = await this.db.insert(downloads).values(values).returning({ id: downloads.id });
    if (!row) throw new Error('insert returned no row');
    return row.id;
  }

  async finishDownload(id: number, bytesSent: number): Promise<void> {
    await this.db.update(downloads).set({ bytesSent }).where(eq(downloads.id, id));
  }

  async downloadsOf(requestId: string): Promise<DownloadRow[]> {
    return this.db.select().from(downloads).where(eq(downloads.requestId, requestId)).orderBy(asc(downloads.id));
  }

  async parts(requestId: string): Promise<ResultPartRow[]> {
    return this.db.select().from(resultParts).where(eq(resultParts.requestId, requestId)).orderBy(asc(resultParts.part));
  }

  /** For the assembler of a result split into several files (AssembledResult.parts): records them as parts 1..n. */
  async recordParts(requestId: string, mediaType: string, parts: Omit<ResultPartRow, 'requestId' | 'part' | 'mediaType'>[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.delete(resultParts).where(eq(resultParts.requestId, requestId));
      if (parts.length === 0) return;
      await tx.insert(resultParts).values(parts.map((p, i) => ({ ...p, requestId, part: i + 1, mediaType })));
    });
  }

  /**
   * Requests whose result is past retention, and expired ones whose result is still on record
   * (the job stopped between the two steps), a page at a time.
   */
  async dueForExpiry(completedBefore: Date, limit: number) {
    return this.db
      .select({ id: requests.id, resultKey: requests.resultKey })
      .from(requests)
      .where(
        and(
          isNotNull(requests.resultKey),
          or(
            and(inArray(requests.status, [...RESULT_STATUSES]), lt(requests.completedAt, completedBefore)),
            eq(requests.status, 'expired'),
          ),
        ),
      )
      .limit(limit);
  }

  async forgetResult(requestId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.delete(resultParts).where(eq(resultParts.requestId, requestId));
      await tx.update(requests).set({ resultKey: null }).where(eq(requests.id, requestId));
    });
  }
}
